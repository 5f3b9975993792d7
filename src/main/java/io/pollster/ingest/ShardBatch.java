package io.pollster.ingest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shard's one shared batch: the lines every worker of the shard processed, written as one file
 * when it holds {@code batch-size} lines ({@link #add}) or its oldest line has waited long enough
 * ({@link #flushLingering}). A line's {@link PendingMessage#written} completes only once its file
 * is on disk, or fails so that its message is delivered again.
 */
final class ShardBatch {

    private static final Logger log = LoggerFactory.getLogger(ShardBatch.class);

    /** Who writes a file: the file is named after the writer and its own sequence number. */
    interface Writer {
        String id();

        long nextSequence();

        void wroteBatch();
    }

    private final int shard;
    private final int batchSize;
    private final BatchFiles files;
    private final Clock clock;
    private final Counter written;
    private final ReentrantLock lock = new ReentrantLock();
    private List<PendingMessage> lines = new ArrayList<>();
    private Instant startedAt;
    private Writer lastAdder;

    ShardBatch(int shard, int batchSize, BatchFiles files, Clock clock, MeterRegistry meters) {
        this.shard = shard;
        this.batchSize = batchSize;
        this.files = files;
        this.clock = clock;
        this.written = Counter.builder("pollster.messages").tag("shard", Integer.toString(shard))
                .description("Messages written to batch files").register(meters);
    }

    /** Adds a processed message; the worker that fills the batch writes it. */
    void add(PendingMessage pending, Writer worker) {
        List<PendingMessage> full = null;
        lock.lock();
        try {
            if (lines.isEmpty()) {
                startedAt = clock.instant();
            }
            lines.add(pending);
            lastAdder = worker;
            if (lines.size() >= batchSize) {
                full = lines;
                lines = new ArrayList<>();
            }
        } finally {
            lock.unlock();
        }
        if (full != null) {
            write(full, worker);
        }
    }

    /** Writes the batch, in the name of the worker that added last, if its oldest line has waited at least {@code age}. */
    void flushLingering(Duration age) {
        List<PendingMessage> due = null;
        Writer writer = null;
        lock.lock();
        try {
            if (!lines.isEmpty() && !Duration.between(startedAt, clock.instant()).minus(age).isNegative()) {
                due = lines;
                writer = lastAdder;
                lines = new ArrayList<>();
            }
        } finally {
            lock.unlock();
        }
        if (due != null) {
            write(due, writer);
        }
    }

    private void write(List<PendingMessage> batch, Writer worker) {
        try {
            files.write(shard, worker.id(), worker.nextSequence(), batch.stream().map(p -> p.line).toList());
            worker.wroteBatch();
            written.increment(batch.size());
            batch.forEach(p -> p.written.complete(null));
        } catch (Throwable e) {
            // an Error too (out of memory for the batch's buffer): its lines are retried, and the
            // writing thread, a worker or the linger thread, lives on
            log.warn("Shard {} could not write a batch of {} lines; they will be delivered again: {}", shard, batch.size(), e.toString());
            batch.forEach(p -> p.written.completeExceptionally(e));
        }
    }
}
