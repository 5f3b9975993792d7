package io.pollster.cluster;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class ClusterRepository {

    private static final String HEARTBEAT = """
            INSERT INTO nodes (id, roles, started_at, last_heartbeat_at)
            VALUES (:id, :roles, :startedAt, :now)
            ON CONFLICT (id) DO UPDATE SET last_heartbeat_at = :now, roles = :roles
            """;

    private static final String LEAVE = "DELETE FROM nodes WHERE id = :id";

    /** Nodes gone for much longer than they could be alive are forgotten. */
    private static final String FORGET = "DELETE FROM nodes WHERE last_heartbeat_at < :before";

    private static final String LIVE = """
            SELECT id, roles, started_at, last_heartbeat_at
            FROM nodes
            WHERE last_heartbeat_at >= :since
            ORDER BY started_at
            """;

    private final JdbcClient jdbc;

    ClusterRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Node(String id, List<String> roles, Instant startedAt, Instant lastHeartbeatAt) {
    }

    void heartbeat(String id, String roles, Instant startedAt, Instant now) {
        jdbc.sql(HEARTBEAT).param("id", id).param("roles", roles).param("startedAt", Timestamp.from(startedAt))
                .param("now", Timestamp.from(now)).update();
    }

    void leave(String id) {
        jdbc.sql(LEAVE).param("id", id).update();
    }

    void forget(Instant before) {
        jdbc.sql(FORGET).param("before", Timestamp.from(before)).update();
    }

    List<Node> live(Instant since) {
        return jdbc.sql(LIVE).param("since", Timestamp.from(since))
                .query((rs, n) -> new Node(rs.getString("id"), List.of(rs.getString("roles").split(",")),
                        rs.getTimestamp("started_at").toInstant(), rs.getTimestamp("last_heartbeat_at").toInstant()))
                .list();
    }
}
