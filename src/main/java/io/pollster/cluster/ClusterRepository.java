package io.pollster.cluster;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * {@code nodes}. Heartbeats are stamped, and compared, with the database's clock: nodes on hosts
 * whose clocks disagree never see each other as dead (or alive) because of it.
 */
@Repository
class ClusterRepository {

    /** True when the row was inserted: the node's first heartbeat, or it had been found dead meanwhile. */
    private static final String HEARTBEAT = """
            INSERT INTO nodes (id, roles, started_at, last_heartbeat_at)
            VALUES (:id, :roles, :startedAt, now())
            ON CONFLICT (id) DO UPDATE SET last_heartbeat_at = now(), roles = :roles
            RETURNING xmax = 0 AS inserted
            """;

    private static final String LEAVE = "DELETE FROM nodes WHERE id = :id";

    /** Nodes whose heartbeat is older than the dead-after time; the caller releases what they held. */
    private static final String REMOVE_DEAD = """
            DELETE FROM nodes
            WHERE last_heartbeat_at < now() - :deadAfterMs * INTERVAL '1 millisecond'
            RETURNING id
            """;

    private static final String LIVE = """
            SELECT id, roles, started_at, last_heartbeat_at
            FROM nodes
            WHERE last_heartbeat_at >= now() - :deadAfterMs * INTERVAL '1 millisecond'
            ORDER BY started_at
            """;

    private final JdbcClient jdbc;

    ClusterRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Node(String id, List<String> roles, Instant startedAt, Instant lastHeartbeatAt) {
    }

    /** Returns true when this heartbeat made the node's row anew (see {@link #HEARTBEAT}). */
    boolean heartbeat(String id, String roles, Instant startedAt) {
        return jdbc.sql(HEARTBEAT).param("id", id).param("roles", roles).param("startedAt", Timestamp.from(startedAt))
                .query(Boolean.class).single();
    }

    void leave(String id) {
        jdbc.sql(LEAVE).param("id", id).update();
    }

    /** Deletes the nodes that missed their heartbeats for {@code deadAfter}; returns their ids. */
    List<String> removeDead(Duration deadAfter) {
        return jdbc.sql(REMOVE_DEAD).param("deadAfterMs", deadAfter.toMillis()).query(String.class).list();
    }

    List<Node> live(Duration deadAfter) {
        return jdbc.sql(LIVE).param("deadAfterMs", deadAfter.toMillis())
                .query((rs, n) -> new Node(rs.getString("id"), List.of(rs.getString("roles").split(",")),
                        rs.getTimestamp("started_at").toInstant(), rs.getTimestamp("last_heartbeat_at").toInstant()))
                .list();
    }
}
