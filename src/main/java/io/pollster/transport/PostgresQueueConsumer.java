package io.pollster.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.pollster.system.loop.BackgroundLoop;
import io.pollster.system.loop.Loops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims tasks in batches up to the free handler slots, runs each on a virtual thread, and keeps
 * the claims of running handlers alive. A failure on one task — an {@code Error} too — is logged
 * and retried, then dead-lettered; the loops go on. A task delivered more often than its
 * attempts allow without ever being settled (its handler kept killing the process) is
 * dead-lettered when it is claimed once more, as RabbitMQ's delivery limit does.
 * Shutdown: stop claiming, let running handlers finish within the grace period, hand unfinished
 * tasks back so another node takes them at once.
 */
final class PostgresQueueConsumer implements QueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(PostgresQueueConsumer.class);
    private static final Duration ACK_WAIT = Duration.ofMillis(50);

    private final String queue;
    private final TaskHandler handler;
    private final ConsumerSettings settings;
    private final PostgresQueue sql;
    private final Duration pollInterval;
    private final Semaphore slots;
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    /**
     * Handed back at stop while their handlers ran: what those handlers return settles nothing. The
     * claim checks alone do not stop them when a consumer of this same node has claimed the task again.
     */
    private final Set<Long> handedBack = ConcurrentHashMap.newKeySet();
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final LinkedBlockingQueue<Long> acks = new LinkedBlockingQueue<>();
    private final BackgroundLoop claimer;
    private final BackgroundLoop heartbeat;
    private final BackgroundLoop acker;

    private final Runnable onStop;

    /** @param onStop runs when the consumer starts to stop (its transport no longer wakes it) */
    PostgresQueueConsumer(String queue, TaskHandler handler, ConsumerSettings settings, PostgresQueue sql,
                          Duration pollInterval, Loops loops, Runnable onStop) {
        this.queue = queue;
        this.onStop = onStop;
        this.handler = handler;
        this.settings = settings;
        this.sql = sql;
        this.pollInterval = pollInterval;
        this.slots = new Semaphore(settings.concurrency());
        Duration backoff = pollInterval.multipliedBy(10);
        this.claimer = loops.create("queue-" + queue, backoff, this::claimOnce);
        Duration period = Duration.ofMillis(Math.max(100, settings.visibilityTimeout().toMillis() / 3));
        this.heartbeat = loops.create("queue-" + queue + "-heartbeat", period, () -> {
            sql.extend(new ArrayList<>(inFlight), settings.visibilityTimeout());
            return period;
        });
        this.acker = loops.create("queue-" + queue + "-acks", backoff, () -> {
            acknowledge(ACK_WAIT);
            return Duration.ZERO;
        });
    }

    /** Tasks were just committed to this queue: claim now instead of at the end of the idle wait. */
    void wake() {
        claimer.wake();
    }

    void start() {
        claimer.start();
        heartbeat.start();
        acker.start();
    }

    /**
     * Acknowledges in batches: one DELETE for every task finished since the last one. A task is
     * acknowledged only after its handler returned, so a crash before the DELETE means a
     * redelivery, never a loss.
     */
    private void acknowledge(Duration wait) throws InterruptedException {
        Long first = acks.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (first == null) {
            return;
        }
        List<Long> batch = new ArrayList<>();
        batch.add(first);
        acks.drainTo(batch, 999);
        try {
            sql.acknowledge(batch);
        } finally {
            // on a failure the claims lapse and these tasks are delivered again: at least once, never lost
            batch.forEach(inFlight::remove);
        }
    }

    private Duration claimOnce() throws InterruptedException {
        if (!slots.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
            return Duration.ZERO; // every slot busy; the loop looks at its running flag and comes back
        }
        int free = 1 + slots.drainPermits();
        List<PostgresQueue.Claimed> claimed;
        try {
            claimed = sql.claim(queue, free, settings.visibilityTimeout());
        } catch (RuntimeException e) {
            slots.release(free);
            throw e;
        }
        slots.release(free - claimed.size());
        claimed.forEach(this::dispatch);
        return claimed.size() < free ? pollInterval : Duration.ZERO;
    }

    private void dispatch(PostgresQueue.Claimed task) {
        inFlight.add(task.id());
        handlers.execute(() -> {
            boolean awaitsAck = false;
            try {
                awaitsAck = handle(task);
            } finally {
                if (awaitsAck) {
                    acks.add(task.id()); // still in flight (heartbeated) until the batch DELETE
                } else {
                    inFlight.remove(task.id());
                }
                slots.release();
            }
        });
    }

    /** Returns true when the handler is done with the task and it awaits its acknowledgement. */
    private boolean handle(PostgresQueue.Claimed task) {
        if (task.attempts() > settings.maxAttempts()) {
            String error = "delivered " + (task.attempts() - 1) + " times without finishing: whatever handled it died each time";
            log.warn("Task {} on {} was {}; dead-lettering it", task.id(), queue, error);
            try {
                deadLetter(task, error);
            } catch (RuntimeException e) {
                log.warn("Could not dead-letter task {} on {}; it is delivered again: {}", task.id(), queue, e.toString());
            }
            return false;
        }
        try {
            TaskHandler.Result result = handler.handle(new TaskHandler.Delivery(task.payload(), task.attempts()));
            if (handedBack.contains(task.id())) {
                return false;
            }
            switch (result) {
                case TaskHandler.Done done -> {
                    return true;
                }
                case TaskHandler.Later later -> {
                    sql.later(task.id(), task.attempts(), later.delay(), later.payload());
                    return false;
                }
            }
        } catch (Throwable e) {
            if (!handedBack.contains(task.id())) { // else the stop interrupted it after handing it back
                failed(task, e);
            }
            return false;
        }
    }

    private void failed(PostgresQueue.Claimed task, Throwable e) {
        String error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof Error) {
            log.error("Task {} on {} failed with {} (attempt {})", task.id(), queue, e, task.attempts(), e);
            error = e.getClass().getSimpleName() + ": " + error;
        }
        try {
            if (task.attempts() >= settings.maxAttempts()) {
                log.warn("Task {} on {} failed {} times; dead-lettering it: {}", task.id(), queue, task.attempts(), error);
                deadLetter(task, error);
            } else {
                Duration delay = settings.retryBackoff().multipliedBy(1L << Math.min(task.attempts() - 1, 10));
                log.info("Task {} on {} failed (attempt {}); retrying in {}: {}", task.id(), queue, task.attempts(), delay, error);
                sql.retry(task.id(), task.attempts(), delay, error);
            }
        } catch (RuntimeException bookkeeping) {
            // the claim lapses and the task is delivered again: nothing is lost
            log.warn("Could not record the failure of task {} on {}: {}", task.id(), queue, bookkeeping.toString());
        }
    }

    private void deadLetter(PostgresQueue.Claimed task, String error) {
        sql.deadLetter(task.id(), task.attempts(), handler, error);
    }

    @Override
    public void stop(Duration grace) {
        if (!claimer.isRunning()) {
            return;
        }
        onStop.run();
        // no interrupt: a claim in flight completes and its tasks are dispatched before the pool closes
        claimer.stop(Duration.ofSeconds(30));
        handlers.shutdown();
        try {
            boolean finished = handlers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
            acker.stop(Duration.ofSeconds(5));
            while (!acks.isEmpty()) {
                acknowledge(Duration.ZERO); // what finished within the grace period is acknowledged, not redelivered
            }
            if (!finished) {
                List<Long> unfinished = new ArrayList<>(inFlight);
                log.info("Handing {} unfinished tasks of {} back to the queue", unfinished.size(), queue);
                handedBack.addAll(unfinished);
                sql.handBack(unfinished);
                handlers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("Could not settle every task of {} on the way out; their claims lapse and they are delivered again: {}",
                    queue, e.toString());
        } finally {
            heartbeat.stop(Duration.ofSeconds(5));
        }
    }
}
