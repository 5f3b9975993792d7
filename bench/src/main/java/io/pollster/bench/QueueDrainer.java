package io.pollster.bench;

import java.sql.Connection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The consumer of the scheduler scenarios: acknowledges poll tasks without fetching anything, by
 * deleting them from {@code queue_tasks} in batches, so that the queue stays short and the
 * scheduler alone is measured. Cheaper per task than Pollster's own consumer (claim, then delete).
 * It also marks each task's fire done in its job row, as a poll's outcome does — the scheduler
 * fires a job again only once its last fire is done — in the same statement.
 */
final class QueueDrainer implements AutoCloseable {

    /**
     * {@code id = ANY(ARRAY(…))}, not {@code id IN (…)}: planned on stale statistics (an empty
     * queue, then a burst), the IN form becomes a nested loop over the whole table per batch — seen
     * here running for minutes. The ARRAY form takes the batch once and deletes by primary key.
     */
    /**
     * A poll task's protobuf body starts with its job id (field 1, 36 characters: bytes 3 to 38);
     * a job has at most one fire outstanding, which is its schedule's {@code fired_at}.
     */
    private static final String DRAIN = """
            WITH drained AS (
                DELETE FROM queue_tasks
                WHERE id = ANY(ARRAY(
                    SELECT id
                    FROM queue_tasks
                    WHERE queue = ?
                    ORDER BY visible_at
                    LIMIT ?
                    FOR UPDATE SKIP LOCKED))
                RETURNING CAST(convert_from(substring(payload FROM 3 FOR 36), 'UTF8') AS UUID) AS job_id
            ), done AS (
                UPDATE job_polls p
                SET done_fire_at = s.fired_at
                FROM drained d
                JOIN job_schedules s ON s.job_id = d.job_id
                WHERE p.job_id = d.job_id
            )
            SELECT count(*) FROM drained
            """;
    private static final int BATCH = 5000;

    private final BenchDatabase db;
    private final String queue;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean paused = new AtomicBoolean();
    /** Held while a batch is drained: {@link #pause} waits on it for the batch in flight. */
    private final ReentrantLock draining = new ReentrantLock();
    private final Thread thread;
    private volatile Exception failure;

    private QueueDrainer(BenchDatabase db, String queue) {
        this.db = db;
        this.queue = queue;
        this.thread = Thread.ofPlatform().name("queue-drainer").daemon().start(this::run);
    }

    static QueueDrainer start(BenchDatabase db, String queue) {
        return new QueueDrainer(db, queue);
    }

    private void run() {
        try (Connection c = db.connect()) {
            // why: a generic plan cached while the queue was empty would stay, however long the queue grows
            BenchDatabase.execute(c, "SET plan_cache_mode = force_custom_plan");
            // why: a drain that hangs must fail the run, not block the next phase's TRUNCATE
            BenchDatabase.execute(c, "SET statement_timeout = '30s'");
            while (running.get()) {
                long n;
                draining.lock();
                try {
                    n = paused.get() ? -1 : BenchDatabase.queryLong(c, DRAIN, queue, BATCH);
                } finally {
                    draining.unlock();
                }
                if (n < BATCH) {
                    Thread.sleep(20);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (running.get()) {
                failure = e;
            }
        }
    }

    /**
     * Stops draining until {@link #resume}, once the batch in flight is done: the drain then holds
     * no lock on the job tables (a TRUNCATE of them would otherwise deadlock with it).
     */
    void pause() {
        paused.set(true);
        draining.lock();
        draining.unlock();
    }

    void resume() {
        paused.set(false);
    }

    /** @throws IllegalStateException if draining failed: the scheduler figures would then be wrong */
    void check() {
        if (failure != null) {
            throw new IllegalStateException("Draining the queue failed: " + failure, failure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(30_000);
    }
}
