package io.pollster.version;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pollster.poll.PollProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Prunes in the background: versions beyond the count or age limits (never a job's newest),
 * bodies no version uses any more, and poll history beyond {@code pollster.poll-history}.
 */
@Component
public class Retention implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Retention.class);

    private static final String PRUNE_VERSIONS = """
            DELETE FROM versions v
            USING (SELECT id, fetched_at, row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS rank
                   FROM versions) r
            WHERE v.id = r.id
              AND r.rank > 1
              AND (r.rank > :keep OR r.fetched_at < :cutoff)
            """;

    private static final String PRUNE_BODIES = """
            DELETE FROM bodies b
            WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.job_id = b.job_id AND v.hash = b.hash)
            """;

    /** The job row holds the open entry, so {@code polls} keeps one fewer. */
    private static final String PRUNE_POLLS = """
            DELETE FROM polls p
            USING (SELECT id, row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS rank FROM polls) r
            WHERE p.id = r.id
              AND r.rank > :keep
            """;

    private final JdbcClient jdbc;
    private final RetentionProperties retention;
    private final int pollHistory;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Thread thread;

    Retention(JdbcClient jdbc, RetentionProperties retention, PollProperties poll, Clock clock) {
        this.jdbc = jdbc;
        this.retention = retention;
        this.pollHistory = poll.pollHistory();
        this.clock = clock;
    }

    /** One pruning pass; returns the versions removed. */
    public int prune() {
        int versions = jdbc.sql(PRUNE_VERSIONS)
                .param("keep", retention.versions())
                .param("cutoff", Timestamp.from(clock.instant().minus(retention.age())))
                .update();
        int bodies = jdbc.sql(PRUNE_BODIES).update();
        int polls = jdbc.sql(PRUNE_POLLS).param("keep", Math.max(0, pollHistory - 1)).update();
        if (versions + bodies + polls > 0) {
            log.info("Pruned {} versions, {} bodies and {} poll-history entries", versions, bodies, polls);
        }
        return versions;
    }

    @Override
    public void start() {
        if (running.compareAndSet(false, true)) {
            thread = Thread.ofVirtual().name("retention").start(() -> {
                while (running.get()) {
                    try {
                        Thread.sleep(retention.interval());
                        prune();
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        log.warn("Pruning failed; trying again in {}: {}", retention.interval(), e.toString());
                    }
                }
            });
        }
    }

    @Override
    public void stop() {
        if (running.compareAndSet(true, false) && thread != null) {
            thread.interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running.get();
    }
}
