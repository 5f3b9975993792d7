package io.pollster.ingest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.system.loop.BackgroundLoop;
import io.pollster.system.loop.Loops;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's elastic worker pool. Messages wait in the shard's backlog; workers (virtual
 * threads) take them, process them and add the lines to the shard's one shared batch, which is
 * written as a file when it holds {@code batch-size} lines or its oldest line has waited
 * {@code linger}. The pool starts with {@code min-workers}, adds one while the backlog is above
 * {@code scale-up-backlog} (never beyond {@code max-workers}), and a worker above the minimum
 * that finds nothing to do for {@code idle-timeout} retires.
 *
 * <p>A worker that stops for any other reason (an error outside a message, an interrupt while
 * the pool runs) is counted out and, below the minimum, replaced. Retired workers are kept in
 * memory only up to {@code retired-kept} per shard, for {@code GET /workers} and the registry,
 * which records each retirement once and keeps it for a day.
 *
 * <p>A message is only reported written once its file is on disk; the caller acknowledges it
 * to the queue after that, so a crash can repeat a line but never lose one.
 */
final class ShardPool {

    private static final Logger log = LoggerFactory.getLogger(ShardPool.class);

    private final int shard;
    private final IngestProperties properties;
    private final MessageProcessor processor;
    private final Clock clock;
    private final String suffix;
    private final LinkedBlockingQueue<PendingMessage> backlog = new LinkedBlockingQueue<>();
    private final List<Worker> live = new CopyOnWriteArrayList<>();
    /** The most recently retired workers, oldest first; guarded by itself. */
    private final Deque<Worker> retired = new ArrayDeque<>();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger workerNumbers = new AtomicInteger();
    private final ShardBatch batch;
    private volatile boolean running;
    private final BackgroundLoop lingerer;

    ShardPool(int shard, IngestProperties properties, MessageProcessor processor, BatchFiles files, Clock clock,
              String suffix, MeterRegistry meters, Loops loops) {
        this.shard = shard;
        ShardBatch batch = new ShardBatch(shard, properties.batchSize(), files, clock, meters);
        this.batch = batch;
        Duration tick = Duration.ofMillis(Math.max(10, properties.linger().toMillis() / 4));
        this.lingerer = loops.create("ingest-shard-" + shard + "-linger", tick, () -> {
            batch.flushLingering(properties.linger());
            return tick;
        });
        this.properties = properties;
        this.processor = processor;
        this.clock = clock;
        this.suffix = suffix;
        Gauge.builder("pollster.workers", active, AtomicInteger::get).tag("shard", Integer.toString(shard))
                .description("Active ingest workers").register(meters);
    }

    void start() {
        running = true;
        for (int i = 0; i < properties.minWorkers(); i++) {
            active.incrementAndGet();
            startWorker();
        }
        lingerer.start();
    }

    PendingMessage submit(byte[] message) {
        PendingMessage pending = new PendingMessage(message);
        backlog.add(pending);
        growIfBacklogged();
        return pending;
    }

    int backlog() {
        return backlog.size();
    }

    int activeWorkers() {
        return active.get();
    }

    /** The running workers and the most recently retired ones. */
    List<WorkerView> workers() {
        return Stream.concat(live.stream(), retiredSnapshot().stream()).map(Worker::view).toList();
    }

    /**
     * What the registry still needs to hear: the running workers (their counts move) and the
     * retired ones whose retirement it has not recorded yet. Once a retirement is recorded
     * ({@link #shared}), the worker is not sent again: its row no longer changes.
     */
    List<WorkerView> unshared() {
        return Stream.concat(live.stream(), retiredSnapshot().stream().filter(w -> !w.retirementShared))
                .map(Worker::view).toList();
    }

    /** The registry recorded these views: the retirements among them need not be sent again. */
    void shared(Collection<WorkerView> views) {
        Set<String> retiredIds = views.stream().filter(v -> v.retiredAt() != null).map(WorkerView::id)
                .collect(Collectors.toSet());
        retiredSnapshot().stream().filter(w -> retiredIds.contains(w.id)).forEach(w -> w.retirementShared = true);
    }

    /** Workers whose threads are running: equal to {@link #activeWorkers()} but for a moment while one starts or ends. */
    int aliveWorkers() {
        return (int) live.stream().filter(w -> w.thread != null && w.thread.isAlive()).count();
    }

    private List<Worker> retiredSnapshot() {
        synchronized (retired) {
            return List.copyOf(retired);
        }
    }

    private void growIfBacklogged() {
        while (running && backlog.size() > properties.scaleUpBacklog()) {
            int now = active.get();
            if (now >= properties.maxWorkers()) {
                return;
            }
            if (active.compareAndSet(now, now + 1)) {
                Worker worker = startWorker();
                log.info("Shard {} backlog {} > {}: added worker {} ({} now)", shard, backlog.size(),
                        properties.scaleUpBacklog(), worker.id, now + 1);
                return;
            }
        }
    }

    private Worker startWorker() {
        Worker worker = new Worker("s" + shard + "-w" + workerNumbers.incrementAndGet() + "-" + suffix, clock.instant());
        live.add(worker);
        worker.thread = Thread.ofVirtual().name("ingest-" + worker.id).start(worker::run);
        return worker;
    }

    /**
     * A worker's thread ends, whatever the reason. One that retired was counted out by
     * {@link #retire}; any other is counted out here, and replaced while the pool runs and is
     * below its minimum, so the count always matches the workers that run.
     */
    private void exited(Worker worker, boolean countedOut, String why) {
        if (worker.retiredAt == null) {
            worker.retiredAt = clock.instant();
        }
        if (!countedOut) {
            active.decrementAndGet();
        }
        live.remove(worker);
        synchronized (retired) {
            retired.addLast(worker);
            while (retired.size() > properties.retiredKept()) {
                retired.removeFirst();
            }
        }
        if (countedOut || !running) {
            return;
        }
        while (running) {
            int now = active.get();
            if (now >= properties.minWorkers()) {
                log.warn("Shard {} worker {} stopped unexpectedly ({}); {} workers left", shard, worker.id, why, now);
                return;
            }
            if (active.compareAndSet(now, now + 1)) {
                Worker replacement = startWorker();
                log.warn("Shard {} worker {} stopped unexpectedly ({}); started {} in its place", shard, worker.id, why,
                        replacement.id);
                return;
            }
        }
    }

    /** Retires the worker if the pool is above its minimum; false when it must stay. */
    private boolean retire(Worker worker) {
        while (true) {
            int now = active.get();
            if (now <= properties.minWorkers()) {
                return false;
            }
            if (active.compareAndSet(now, now - 1)) {
                worker.retiredAt = clock.instant();
                log.info("Shard {} idle: retired worker {} after {} messages in {} batches ({} left)", shard, worker.id,
                        worker.processed.get(), worker.batches.get(), now - 1);
                return true;
            }
        }
    }

    private final class Worker implements ShardBatch.Writer {
        final String id;
        final Instant startedAt;
        final AtomicLong processed = new AtomicLong();
        final AtomicLong batches = new AtomicLong();
        final AtomicLong sequence = new AtomicLong();
        volatile Instant retiredAt;
        /** The registry recorded this worker's retirement: it is not sent again. */
        volatile boolean retirementShared;
        volatile Thread thread;

        Worker(String id, Instant startedAt) {
            this.id = id;
            this.startedAt = startedAt;
        }

        void run() {
            boolean retiredIdle = false;
            String why = "interrupted";
            try {
                retiredIdle = work();
            } catch (Throwable t) {
                why = t.toString();
                log.error("Shard {} worker {} failed outside a message", shard, id, t);
            } finally {
                exited(this, retiredIdle, why);
            }
        }

        /** Takes messages until the pool stops or this worker retires (then true). */
        private boolean work() {
            while (running) {
                PendingMessage pending;
                try {
                    pending = backlog.poll(properties.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return false;
                }
                if (pending == null) {
                    if (retire(this)) {
                        return true;
                    }
                    continue;
                }
                if (pending.abandoned) {
                    continue;
                }
                pending.startedNanos = System.nanoTime();
                pending.started.complete(null);
                try {
                    pending.line = processor.process(pending.message);
                } catch (Exception e) {
                    pending.processed.completeExceptionally(e);
                    continue;
                } catch (Throwable e) {
                    // an Error from one message (a StackOverflowError, an OutOfMemoryError from its size)
                    // fails that message, which is retried and dead-lettered as usual, not the worker
                    log.error("Shard {} worker {}: processing a message failed with {}; it will be retried, then dead-lettered",
                            shard, id, e.toString(), e);
                    pending.processed.completeExceptionally(new PendingMessage.ProcessingError(e));
                    continue;
                }
                processed.incrementAndGet();
                pending.processed.complete(null);
                if (!pending.abandoned) {
                    batch.add(pending, this);
                }
            }
            return false;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public long nextSequence() {
            return sequence.incrementAndGet();
        }

        @Override
        public void wroteBatch() {
            batches.incrementAndGet();
        }

        WorkerView view() {
            return new WorkerView(id, shard, processed.get(), batches.get(), startedAt, retiredAt);
        }
    }

    /** Stops the workers and writes what the shared batch still holds. */
    void stop() {
        running = false;
        lingerer.stop(Duration.ofSeconds(5));
        live.forEach(w -> {
            if (w.thread != null) {
                w.thread.interrupt();
            }
        });
        batch.flushLingering(Duration.ZERO);
        PendingMessage left;
        while ((left = backlog.poll()) != null) {
            PendingMessage.Stopping stopping = new PendingMessage.Stopping();
            left.started.completeExceptionally(stopping);
            left.processed.completeExceptionally(stopping);
        }
    }
}
