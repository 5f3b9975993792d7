package io.pollster.ingest;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The workers of every ingest node ({@code ingest_workers}): each node writes its own, any API
 * node reads them all. A worker whose node stopped writing without retiring it (the node was
 * killed) is shown as retired when it was last seen.
 */
@Repository
class WorkerRegistry {

    private static final String UPSERT = """
            INSERT INTO ingest_workers (id, node_id, shard, processed, batches, started_at, retired_at, updated_at)
            SELECT w.id, :node, w.shard, w.processed, w.batches, w.started_at, w.retired_at, :now
            FROM unnest(CAST(:ids AS TEXT[]), CAST(:shards AS INT[]), CAST(:processed AS BIGINT[]), CAST(:batches AS BIGINT[]),
                        CAST(:started AS TIMESTAMPTZ[]), CAST(:retired AS TIMESTAMPTZ[]))
                 AS w(id, shard, processed, batches, started_at, retired_at)
            ON CONFLICT (id) DO UPDATE
            SET processed = EXCLUDED.processed, batches = EXCLUDED.batches, retired_at = EXCLUDED.retired_at,
                updated_at = EXCLUDED.updated_at
            """;

    private static final String RECENT = """
            SELECT id, shard, processed, batches, started_at, retired_at, updated_at
            FROM ingest_workers
            WHERE updated_at >= :since
            ORDER BY shard, started_at
            """;

    /** Retired workers and those of gone nodes are listed for a day, then forgotten. */
    private static final String FORGET = "DELETE FROM ingest_workers WHERE updated_at < :before";

    private static final Duration KEPT = Duration.ofDays(1);

    private final JdbcClient jdbc;

    WorkerRegistry(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void save(String node, List<WorkerView> workers, Instant now) {
        if (workers.isEmpty()) {
            return;
        }
        jdbc.sql(UPSERT)
                .param("node", node)
                .param("now", Timestamp.from(now))
                .param("ids", workers.stream().map(WorkerView::id).toArray(String[]::new))
                .param("shards", workers.stream().map(WorkerView::shard).toArray(Integer[]::new))
                .param("processed", workers.stream().map(WorkerView::processed).toArray(Long[]::new))
                .param("batches", workers.stream().map(WorkerView::batches).toArray(Long[]::new))
                .param("started", workers.stream().map(w -> Timestamp.from(w.startedAt())).toArray(Timestamp[]::new))
                .param("retired", workers.stream().map(w -> w.retiredAt() == null ? null : Timestamp.from(w.retiredAt()))
                        .toArray(Timestamp[]::new))
                .update();
        jdbc.sql(FORGET).param("before", Timestamp.from(now.minus(KEPT))).update();
    }

    /** @param silentAfter a worker not updated for this long, and not retired, counts as retired when last seen */
    List<WorkerView> all(Instant now, Duration silentAfter) {
        return jdbc.sql(RECENT)
                .param("since", Timestamp.from(now.minus(KEPT)))
                .query((rs, n) -> {
                    Instant updated = rs.getTimestamp("updated_at").toInstant();
                    Timestamp retired = rs.getTimestamp("retired_at");
                    Instant retiredAt = retired != null ? retired.toInstant()
                            : updated.isBefore(now.minus(silentAfter)) ? updated : null;
                    return new WorkerView(rs.getString("id"), rs.getInt("shard"), rs.getLong("processed"), rs.getLong("batches"),
                            rs.getTimestamp("started_at").toInstant(), retiredAt);
                })
                .list();
    }
}
