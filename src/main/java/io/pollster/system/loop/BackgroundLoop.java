package io.pollster.system.loop;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one background loop on a virtual thread of its own until it is stopped — the one way
 * Pollster runs a loop (after db-scheduler's {@code RunUntilShutdown} and {@code Waiter}):
 * <ul>
 * <li>each round is {@link Body#runOnce()}, which says how long to wait before the next;</li>
 * <li>{@link #wake()} ends a wait early, when there is work;</li>
 * <li>a round that throws — an {@code Error} included — is logged and the loop goes on after
 *     {@code failureBackoff}: a loop never dies silently;</li>
 * <li>{@link #stop(Duration)} never interrupts (the thread may be holding a JDBC connection,
 *     which an interrupt breaks): it ends the current wait, lets the current round finish and
 *     joins the thread, for at most the bound given.</li>
 * </ul>
 */
public final class BackgroundLoop {

    /** One round of a loop. */
    @FunctionalInterface
    public interface Body {
        /** Does one round of work; returns how long to wait before the next ({@link Duration#ZERO}: at once). */
        Duration runOnce() throws Exception;
    }

    private static final Logger log = LoggerFactory.getLogger(BackgroundLoop.class);

    private final String name;
    private final Body body;
    private final Duration failureBackoff;
    private final Object monitor = new Object();
    private final AtomicLong failures = new AtomicLong();
    private final Clock clock;
    private boolean woken;
    private volatile boolean running;
    private volatile Thread thread;
    private volatile Instant lastRoundEndedAt;
    /** When the round running now started; null between rounds. */
    private volatile Instant roundStartedAt;
    private volatile String lastFailure;

    BackgroundLoop(String name, Duration failureBackoff, Body body, Clock clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.failureBackoff = Objects.requireNonNull(failureBackoff, "failureBackoff");
        this.body = Objects.requireNonNull(body, "body");
    }

    /** Starts the loop; does nothing when it runs already. */
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        thread = Thread.ofVirtual().name(name).start(this::run);
    }

    private void run() {
        int failedInARow = 0;
        while (running) {
            Duration wait;
            roundStartedAt = clock.instant();
            try {
                wait = body.runOnce();
                if (failedInARow > 0) {
                    log.info("Loop {} works again after {} failed rounds", name, failedInARow);
                    failedInARow = 0;
                    lastFailure = null;
                }
            } catch (Throwable e) {
                failures.incrementAndGet();
                lastFailure = e.toString();
                if (e instanceof Error) {
                    log.error("Loop {} failed with {}; it goes on in {}", name, e, failureBackoff, e);
                } else if (failedInARow == 0) {
                    log.warn("Loop {} failed; trying again in {}: {}", name, failureBackoff, e.toString());
                } else {
                    log.debug("Loop {} failed again ({} in a row): {}", name, failedInARow + 1, e.toString());
                }
                failedInARow++;
                wait = failureBackoff;
            }
            roundStartedAt = null;
            lastRoundEndedAt = clock.instant();
            pause(wait == null ? Duration.ZERO : wait);
        }
    }

    private void pause(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (monitor) {
            while (running && !woken) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                } catch (InterruptedException e) {
                    // nobody interrupts a loop; should someone, the flag says whether to go on
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            woken = false;
        }
    }

    /** Ends the current wait: the next round starts at once. */
    public void wake() {
        synchronized (monitor) {
            woken = true;
            monitor.notifyAll();
        }
    }

    /**
     * Stops the loop: no round starts after this, the current one finishes. Waits at most
     * {@code bound} for it; returns whether the loop thread has ended.
     */
    public boolean stop(Duration bound) {
        Thread current;
        synchronized (this) {
            if (!running) {
                return thread == null || !thread.isAlive();
            }
            running = false;
            current = thread;
        }
        wake();
        try {
            if (current.join(bound)) {
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.warn("Loop {} did not finish its round within {}; leaving it to end by itself", name, bound);
        return false;
    }

    public boolean isRunning() {
        return running;
    }

    public String name() {
        return name;
    }

    /** For health: whether the thread is there while the loop should run. */
    boolean alive() {
        Thread current = thread;
        return !running || current != null && current.isAlive();
    }

    long failures() {
        return failures.get();
    }

    /** When the round running now started, or null between rounds. */
    Instant roundStartedAt() {
        return roundStartedAt;
    }

    Instant lastRoundEndedAt() {
        return lastRoundEndedAt;
    }

    String lastFailure() {
        return lastFailure;
    }
}
