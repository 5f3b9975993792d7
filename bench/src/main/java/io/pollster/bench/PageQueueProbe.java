package io.pollster.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Where a run's pages wait, sampled from PostgreSQL every few milliseconds on one connection of
 * its own: page tasks visible but not claimed (waiting for a poller's next claim), claimed (in a
 * handler, or done and awaiting the batched acknowledgement), put off for later (a busy host, a
 * rate limit), and the bench database's backends waiting for a lock (pages of one run settle one
 * at a time under the run's row lock) or active; and what the backends that hold the lock others
 * wait for are doing: waiting for their client's next statement ({@code idle in transaction}: the
 * Pollster side of the transaction — its Java work and the round trip), writing or flushing WAL
 * (the commit), or running a statement. Averages over the samples, so that with the pages/s
 * Little's law gives the mean time a page spends in each state.
 */
final class PageQueueProbe implements AutoCloseable {

    private static final String SAMPLE = """
            SELECT
              (SELECT count(*) FROM queue_tasks WHERE queue = 'page' AND leased_by IS NULL AND visible_at <= now()),
              (SELECT count(*) FROM queue_tasks WHERE queue = 'page' AND leased_by IS NOT NULL),
              (SELECT count(*) FROM queue_tasks WHERE queue = 'page' AND leased_by IS NULL AND visible_at > now()),
              (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'),
              (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
                 AND pid <> pg_backend_pid()),
              count(*) FILTER (WHERE h.state = 'idle in transaction'),
              count(*) FILTER (WHERE h.state = 'active' AND h.wait_event LIKE 'WAL%'),
              count(*) FILTER (WHERE h.state = 'active' AND (h.wait_event IS NULL OR h.wait_event NOT LIKE 'WAL%'))
            FROM pg_stat_activity h
            WHERE h.pid IN (SELECT unnest(pg_blocking_pids(w.pid)) FROM pg_stat_activity w
                            WHERE w.datname = current_database() AND w.wait_event_type = 'Lock')
              AND h.wait_event_type IS DISTINCT FROM 'Lock'
            """;

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private final double[] sums = new double[8];
    private long samples;
    private volatile long backendPid = -1;
    private volatile Exception failure;

    private PageQueueProbe(BenchDatabase db, Duration every) {
        thread = Thread.ofPlatform().name("page-queue-probe").daemon().start(() -> {
            try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(SAMPLE)) {
                backendPid = BenchDatabase.queryLong(c, "SELECT pg_backend_pid()");
                while (running.get()) {
                    try (ResultSet rs = s.executeQuery()) {
                        rs.next();
                        synchronized (sums) {
                            for (int i = 0; i < sums.length; i++) {
                                sums[i] += rs.getLong(i + 1);
                            }
                            samples++;
                        }
                    }
                    Thread.sleep(every);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                failure = e;
            }
        });
    }

    static PageQueueProbe start(BenchDatabase db, Duration every) {
        return new PageQueueProbe(db, every);
    }

    /** The PostgreSQL backend that runs the samples: its CPU is the probe's, not Pollster's. -1 until connected. */
    long backendPid() {
        return backendPid;
    }

    /** Mean counts over the samples so far. */
    record Means(long samples, double waitingForClaim, double claimed, double putOff, double lockWaiters, double activeBackends,
                 double holderIdleInTransaction, double holderInWal, double holderRunning) {

        double holders() {
            return holderIdleInTransaction + holderInWal + holderRunning;
        }
    }

    Means means() {
        synchronized (sums) {
            double n = Math.max(1, samples);
            return new Means(samples, sums[0] / n, sums[1] / n, sums[2] / n, sums[3] / n, sums[4] / n, sums[5] / n, sums[6] / n,
                    sums[7] / n);
        }
    }

    /** Starts over (between runs, so that the gaps between them do not count). */
    void reset() {
        synchronized (sums) {
            java.util.Arrays.fill(sums, 0);
            samples = 0;
        }
    }

    @Override
    public void close() throws Exception {
        running.set(false); // no interrupt: the sampler stops after its current query
        thread.join(5_000);
        if (failure != null) {
            throw new IllegalStateException("Sampling the page queue failed: " + failure, failure);
        }
    }
}
