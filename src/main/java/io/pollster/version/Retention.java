package io.pollster.version;

import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import io.pollster.system.PollsterProperties;
import io.pollster.system.RetentionProperties;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Prunes in the background: versions beyond the count or age limits (never a job's newest),
 * bodies no version uses any more, and poll history beyond {@code pollster.poll-history}.
 */
@Component
public class Retention extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(Retention.class);

    private static final String PRUNE_VERSIONS = """
            DELETE FROM versions v
            USING (SELECT id, fetched_at, row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS rank
                   FROM versions) r
            WHERE v.id = r.id
              AND r.rank > 1
              AND (r.rank > :keep OR r.fetched_at < :cutoff)
            """;

    /**
     * Unused bodies — but never one of a job that is storing a version right now (its row is
     * locked: skipped, tried next time) nor the job's latest, which a version being stored may
     * have just reused; the share lock keeps a new store of that job waiting until this commits.
     */
    private static final String PRUNE_BODIES = """
            WITH unused AS (
                SELECT b.job_id, b.hash
                FROM bodies b
                WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.job_id = b.job_id AND v.hash = b.hash)
            ), settled AS (
                SELECT id, latest_hash
                FROM jobs
                WHERE id IN (SELECT job_id FROM unused)
                FOR SHARE SKIP LOCKED
            )
            DELETE FROM bodies b
            USING unused u, settled j
            WHERE b.job_id = u.job_id
              AND b.hash = u.hash
              AND j.id = u.job_id
              AND b.hash IS DISTINCT FROM j.latest_hash
            RETURNING b.job_id, b.size
            """;

    private static final String FREE_STORED = """
            UPDATE jobs
            SET stored_bytes = greatest(stored_bytes - t.bytes, 0)
            FROM unnest(CAST(:ids AS UUID[]), CAST(:bytes AS BIGINT[])) AS t(id, bytes)
            WHERE jobs.id = t.id
            """;

    /** One pruner at a time across every node sharing the database. */
    private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock(7405226471385214053)";

    /** The job row holds the open entry, so {@code polls} keeps one fewer. */
    private static final String PRUNE_POLLS = """
            DELETE FROM polls p
            USING (SELECT id, row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS rank FROM polls) r
            WHERE p.id = r.id
              AND r.rank > :keep
            """;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final RetentionProperties retention;
    private final int pollHistory;
    private final Clock clock;
    private final Roles roles;

    Retention(JdbcClient jdbc, TransactionTemplate tx, RetentionProperties retention, PollsterProperties poll, Clock clock,
              Roles roles, Loops loops) {
        // a pass in flight finishes (it is one transaction); none starts after
        super(loops, "retention", retention.interval(), ShutdownPhase.UPKEEP, Duration.ofSeconds(10));
        this.roles = roles;
        this.jdbc = jdbc;
        this.tx = tx;
        this.retention = retention;
        this.pollHistory = poll.pollHistory();
        this.clock = clock;
    }

    /** One pruning pass; returns the versions removed (0 when another node is pruning). */
    public int prune() {
        Integer removed = tx.execute(status -> {
            if (!Boolean.TRUE.equals(jdbc.sql(TRY_LOCK).query(Boolean.class).single())) {
                return 0;
            }
            return pruneLocked();
        });
        return removed == null ? 0 : removed;
    }

    private int pruneLocked() {
        int versions = jdbc.sql(PRUNE_VERSIONS)
                .param("keep", retention.versions())
                .param("cutoff", Timestamp.from(clock.instant().minus(retention.age())))
                .update();
        Map<UUID, Long> freed = new HashMap<>();
        int[] bodies = {0};
        jdbc.sql(PRUNE_BODIES).query((ResultSet rs) -> {
            bodies[0]++;
            freed.merge(rs.getObject("job_id", UUID.class), rs.getLong("size"), Long::sum);
        });
        if (!freed.isEmpty()) {
            jdbc.sql(FREE_STORED)
                    .param("ids", freed.keySet().toArray(UUID[]::new))
                    .param("bytes", freed.values().stream().mapToLong(Long::longValue).toArray())
                    .update();
        }
        int polls = jdbc.sql(PRUNE_POLLS).param("keep", Math.max(0, pollHistory - 1)).update();
        if (versions + bodies[0] + polls > 0) {
            log.info("Pruned {} versions, {} bodies and {} poll-history entries", versions, bodies[0], polls);
        }
        return versions;
    }

    @Override
    protected Duration runOnce() {
        prune();
        return retention.interval();
    }

    /** Background upkeep belongs with the scheduler role; the advisory lock keeps it to one node at a time. */
    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.SCHEDULER);
    }
}
