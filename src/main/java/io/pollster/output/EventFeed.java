package io.pollster.output;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * A user's events in commit-safe order, for the live stream. A position is (transaction id, seq):
 * a read returns only events of transactions older than the oldest one still running, so every
 * event before a position is known for good, and a reader that moves its position forward never
 * skips one that commits late (a smaller seq committing after a larger one) nor sees one twice.
 */
@Repository
class EventFeed {

    /** Where a stream starts that resumes nothing: after everything already known for good. */
    private static final String NOW = "SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT)";

    private static final String POSITION_OF = """
            SELECT CAST(tx_id AS TEXT) AS tx_id, seq
            FROM events
            WHERE id = :id AND owner_id = :owner
            """;

    private static final String AFTER = """
            SELECT CAST(tx_id AS TEXT) AS tx_id, seq, id, type, job_id, occurred_at, CAST(data AS TEXT) AS data
            FROM events
            WHERE owner_id = :owner
              AND (tx_id, seq) > (CAST(:tx AS XID8), :seq)
              AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx_id, seq
            LIMIT :limit
            """;

    private final JdbcClient jdbc;

    EventFeed(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Position(String txId, long seq) {
    }

    record FeedEvent(Position position, UUID id, String type, UUID jobId, java.time.Instant occurredAt, String data) {
    }

    Position now() {
        return new Position(jdbc.sql(NOW).query(String.class).single(), 0);
    }

    /** The position of one of the owner's events; empty when it is not theirs or no longer kept. */
    Optional<Position> positionOf(UUID owner, UUID eventId) {
        return jdbc.sql(POSITION_OF).param("id", eventId).param("owner", owner)
                .query((rs, n) -> new Position(rs.getString("tx_id"), rs.getLong("seq"))).optional();
    }

    List<FeedEvent> after(UUID owner, Position position, int limit) {
        return jdbc.sql(AFTER).param("owner", owner).param("tx", position.txId()).param("seq", position.seq()).param("limit", limit)
                .query((rs, n) -> new FeedEvent(new Position(rs.getString("tx_id"), rs.getLong("seq")), rs.getObject("id", UUID.class),
                        rs.getString("type"), rs.getObject("job_id", UUID.class), rs.getTimestamp("occurred_at").toInstant(),
                        rs.getString("data")))
                .list();
    }
}
