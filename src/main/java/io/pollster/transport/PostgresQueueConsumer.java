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
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims tasks in batches up to the free handler slots, runs each on a virtual thread, and keeps
 * the claims of running handlers alive. A failure on one task is logged and retried; the loop
 * goes on. Shutdown: stop claiming, let running handlers finish within the grace period, hand
 * unfinished tasks back so another node takes them at once.
 */
final class PostgresQueueConsumer implements QueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(PostgresQueueConsumer.class);

    private final String queue;
    private final TaskHandler handler;
    private final ConsumerSettings settings;
    private final PostgresQueue sql;
    private final Duration pollInterval;
    private final MeterRegistry meters;
    private final Semaphore slots;
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean running = new AtomicBoolean();
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final Object wakeUp = new Object();
    private final LinkedBlockingQueue<Long> acks = new LinkedBlockingQueue<>();
    private Thread claimer;
    private Thread heartbeat;
    private Thread acker;

    PostgresQueueConsumer(String queue, TaskHandler handler, ConsumerSettings settings, PostgresQueue sql,
                          Duration pollInterval, MeterRegistry meters) {
        this.meters = meters;
        this.queue = queue;
        this.handler = handler;
        this.settings = settings;
        this.sql = sql;
        this.pollInterval = pollInterval;
        this.slots = new Semaphore(settings.concurrency());
    }

    void start() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        claimer = Thread.ofVirtual().name("queue-" + queue).start(this::claimLoop);
        heartbeat = Thread.ofVirtual().name("queue-" + queue + "-heartbeat").start(this::heartbeatLoop);
        acker = Thread.ofVirtual().name("queue-" + queue + "-acks").start(this::ackLoop);
    }

    /**
     * Acknowledges in batches: one DELETE for every task finished since the last one. A task is
     * acknowledged only after its handler returned, so a crash before the DELETE means a
     * redelivery, never a loss.
     */
    private void ackLoop() {
        List<Long> batch = new ArrayList<>();
        while (running.get() || !acks.isEmpty()) {
            try {
                Long first = acks.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                acks.drainTo(batch, 999);
                sql.acknowledge(batch);
                batch.forEach(inFlight::remove);
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // the claims lapse and these tasks are delivered again: at least once, never lost
                log.warn("Acknowledging {} tasks on {} failed: {}", batch.size(), queue, e.toString());
                batch.forEach(inFlight::remove);
                batch.clear();
            }
        }
    }

    private void claimLoop() {
        while (running.get()) {
            try {
                if (!slots.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
                    continue; // every slot busy; look at the running flag again
                }
                int free = 1 + slots.drainPermits();
                List<PostgresQueue.Claimed> claimed = running.get() ? sql.claim(queue, free, settings.visibilityTimeout()) : List.of();
                slots.release(free - claimed.size());
                claimed.forEach(this::dispatch);
                if (claimed.size() < free) {
                    idle();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Claiming from queue {} failed; trying again: {}", queue, e.toString());
                idle();
            }
        }
    }

    private void dispatch(PostgresQueue.Claimed task) {
        inFlight.add(task.id());
        handlers.execute(() -> {
            boolean handled = false;
            try {
                handled = handle(task);
            } finally {
                if (handled) {
                    acks.add(task.id()); // still in flight (heartbeated) until the batch DELETE
                } else {
                    inFlight.remove(task.id());
                }
                slots.release();
            }
        });
    }

    /** Returns true when the handler succeeded and the task awaits its acknowledgement. */
    private boolean handle(PostgresQueue.Claimed task) {
        try {
            handler.handle(new TaskHandler.Delivery(task.payload(), task.attempts()));
            return true;
        } catch (Exception e) {
            String error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            try {
                if (task.attempts() >= settings.maxAttempts()) {
                    log.warn("Task {} on {} failed {} times; dead-lettering it: {}", task.id(), queue, task.attempts(), error);
                    TaskHandler.DeadLetterInfo info = handler.describe(task.payload());
                    if (sql.deadLetter(task.id(), task.attempts(), info, error)) {
                        meters.counter("pollster.dead.letters", "type", info.type()).increment();
                    }
                } else {
                    Duration delay = settings.retryBackoff().multipliedBy(1L << Math.min(task.attempts() - 1, 10));
                    log.info("Task {} on {} failed (attempt {}); retrying in {}: {}", task.id(), queue, task.attempts(), delay, error);
                    sql.retry(task.id(), task.attempts(), delay, error);
                }
            } catch (RuntimeException bookkeeping) {
                // the claim lapses and the task is delivered again: nothing is lost
                log.warn("Could not record the failure of task {} on {}: {}", task.id(), queue, bookkeeping.toString());
            }
            return false;
        }
    }

    private void heartbeatLoop() {
        long period = Math.max(100, settings.visibilityTimeout().toMillis() / 3);
        while (running.get()) {
            try {
                Thread.sleep(period);
                sql.extend(new ArrayList<>(inFlight), settings.visibilityTimeout());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Extending claims on {} failed: {}", queue, e.toString());
            }
        }
    }

    private void idle() {
        synchronized (wakeUp) {
            try {
                wakeUp.wait(pollInterval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void stop(Duration grace) {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        try {
            // no interrupt: a claim in flight completes and its tasks are dispatched before the pool closes
            claimer.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        handlers.shutdown();
        try {
            boolean finished = handlers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
            acker.join(Duration.ofSeconds(5)); // running is false: it drains the finished ones and ends
            if (!finished) {
                List<Long> unfinished = new ArrayList<>(inFlight);
                log.info("Handing {} unfinished tasks of {} back to the queue", unfinished.size(), queue);
                sql.handBack(unfinished);
                handlers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            heartbeat.interrupt();
        }
    }
}
