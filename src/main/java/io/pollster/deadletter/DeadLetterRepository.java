package io.pollster.deadletter;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class DeadLetterRepository {

    private static final String COLUMNS = "id, type, job_id, owner_id, queue, payload, error, attempts, failed_at\n";

    private static final String FIND_PAGE = "SELECT " + COLUMNS + """
            FROM dead_letters
            WHERE (:anyOwner OR owner_id = :owner)
              AND (:anyType OR type = :type)
              AND id > :after
            ORDER BY id
            LIMIT :limit
            """;

    private static final String FIND = "SELECT " + COLUMNS + " FROM dead_letters WHERE id = :id";

    private static final String DELETE = "DELETE FROM dead_letters WHERE id = :id";

    private final JdbcClient jdbc;

    DeadLetterRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record DeadLetter(UUID id, String type, UUID jobId, UUID ownerId, String queue, byte[] payload, String error,
                      int attempts, Instant failedAt) {
    }

    List<DeadLetter> findPage(UUID owner, String type, UUID after, int limit) {
        return jdbc.sql(FIND_PAGE)
                .param("anyOwner", owner == null)
                .param("owner", owner == null ? new UUID(0, 0) : owner)
                .param("anyType", type == null)
                .param("type", type == null ? "" : type)
                .param("after", after)
                .param("limit", limit)
                .query(DeadLetterRepository::map)
                .list();
    }

    Optional<DeadLetter> find(UUID id) {
        return jdbc.sql(FIND).param("id", id).query(DeadLetterRepository::map).optional();
    }

    boolean delete(UUID id) {
        return jdbc.sql(DELETE).param("id", id).update() == 1;
    }

    private static DeadLetter map(ResultSet rs, int row) throws SQLException {
        return new DeadLetter(rs.getObject("id", UUID.class), rs.getString("type"), rs.getObject("job_id", UUID.class),
                rs.getObject("owner_id", UUID.class), rs.getString("queue"), rs.getBytes("payload"), rs.getString("error"),
                rs.getInt("attempts"), rs.getTimestamp("failed_at").toInstant());
    }
}
