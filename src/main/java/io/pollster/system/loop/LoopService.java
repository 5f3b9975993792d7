package io.pollster.system.loop;

import java.time.Duration;

import org.springframework.context.SmartLifecycle;

/**
 * A {@link BackgroundLoop} run as a Spring lifecycle bean: started with the context when
 * {@link #enabled()} (this process's roles run it), stopped in its {@link ShutdownPhase}. A
 * subclass says what one round does ({@link #runOnce()}) and, if it must, what comes after the
 * loop has stopped ({@link #afterStop(boolean)}: a last flush, leaving the cluster view).
 */
public abstract class LoopService implements SmartLifecycle {

    private final BackgroundLoop loop;
    private final int phase;
    private final Duration stopWait;

    /**
     * @param failureBackoff how long the loop waits after a round that failed
     * @param phase          when it stops: one of {@link ShutdownPhase}
     * @param stopWait       how long stopping waits for the round in flight
     */
    protected LoopService(Loops loops, String name, Duration failureBackoff, int phase, Duration stopWait) {
        this.loop = loops.create(name, failureBackoff, this::runOnce);
        this.phase = phase;
        this.stopWait = stopWait;
    }

    /** One round; returns how long to wait before the next ({@link Duration#ZERO}: at once). */
    protected abstract Duration runOnce() throws Exception;

    /** Whether this process runs the loop (its roles, its settings). */
    protected boolean enabled() {
        return true;
    }

    /** Runs once the loop has started. */
    protected void afterStart() {
    }

    /**
     * Runs once the loop has stopped.
     *
     * @param finished whether the round in flight finished within the wait (if not, it still runs:
     *                 touch nothing it touches)
     */
    protected void afterStop(boolean finished) {
    }

    /** Ends the loop's current wait: the next round starts at once. */
    protected final void wake() {
        loop.wake();
    }

    @Override
    public final void start() {
        if (enabled() && !loop.isRunning()) {
            loop.start();
            afterStart();
        }
    }

    @Override
    public final void stop() {
        if (loop.isRunning()) {
            afterStop(loop.stop(stopWait));
        }
    }

    @Override
    public final boolean isRunning() {
        return loop.isRunning();
    }

    @Override
    public final int getPhase() {
        return phase;
    }
}
