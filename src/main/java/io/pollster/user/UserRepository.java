package io.pollster.user;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class UserRepository {

    private static final String INSERT = """
            INSERT INTO users (id, name, token_hash, created_at)
            VALUES (:id, :name, :tokenHash, :createdAt)
            ON CONFLICT (name) DO NOTHING
            """;

    private static final String FIND_BY_ID = """
            SELECT id, name, created_at
            FROM users
            WHERE id = :id
            """;

    private static final String FIND_BY_TOKEN_HASH = """
            SELECT id, name, created_at
            FROM users
            WHERE token_hash = :tokenHash
            """;

    private static final String EXISTING_TOKEN_HASHES = "SELECT token_hash FROM users WHERE token_hash = ANY(:hashes)";

    private static final String FIND_PAGE = """
            SELECT id, name, created_at
            FROM users
            WHERE id > :after
            ORDER BY id
            LIMIT :limit
            """;

    private static final String DELETE = """
            DELETE FROM users
            WHERE id = :id
            """;

    /** A user's own quotas, and what their jobs store: each job counts its own bodies. */
    private static final String LIMITS = """
            SELECT quota_jobs, quota_stored_bytes,
                   (SELECT coalesce(sum(stored_bytes), 0) FROM jobs WHERE owner_id = users.id) AS stored_bytes
            FROM users
            WHERE id = :id
            """;

    private static final String LOCK = """
            SELECT quota_jobs, quota_stored_bytes, 0 AS stored_bytes
            FROM users
            WHERE id = :id
            FOR NO KEY UPDATE
            """;

    private static final String SET_QUOTA = """
            UPDATE users
            SET quota_jobs = :jobs, quota_stored_bytes = :storedBytes
            WHERE id = :id
            """;

    private static final String COUNT_JOBS = "SELECT count(*) FROM jobs WHERE owner_id = :id";

    private final JdbcClient jdbc;

    UserRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Inserts the user unless the name is taken; true when inserted. */
    boolean insert(User user, byte[] tokenHash) {
        return jdbc.sql(INSERT)
                .param("id", user.id().value())
                .param("name", user.name())
                .param("tokenHash", tokenHash)
                .param("createdAt", java.sql.Timestamp.from(user.createdAt()))
                .update() == 1;
    }

    Optional<User> findById(UserId id) {
        return jdbc.sql(FIND_BY_ID).param("id", id.value()).query(UserRepository::map).optional();
    }

    Optional<User> findByTokenHash(byte[] tokenHash) {
        return jdbc.sql(FIND_BY_TOKEN_HASH).param("tokenHash", tokenHash).query(UserRepository::map).optional();
    }

    /** Which of these token hashes still belong to a user. */
    List<byte[]> existingTokenHashes(Collection<byte[]> hashes) {
        return jdbc.sql(EXISTING_TOKEN_HASHES).param("hashes", hashes.toArray(byte[][]::new))
                .query((rs, n) -> rs.getBytes(1)).list();
    }

    List<User> findPage(UUID after, int limit) {
        return jdbc.sql(FIND_PAGE).param("after", after).param("limit", limit).query(UserRepository::map).list();
    }

    boolean delete(UserId id) {
        return jdbc.sql(DELETE).param("id", id.value()).update() == 1;
    }

    /** A user's own quotas (null: the default) and what they store. */
    record Limits(Integer quotaJobs, Long quotaStoredBytes, long storedBytes) {
    }

    Optional<Limits> findLimits(UUID id) {
        return jdbc.sql(LIMITS).param("id", id).query(UserRepository::limits).optional();
    }

    /** The user's own quotas (not what they store), with their row locked until the caller's transaction ends. */
    Optional<Limits> lockLimits(UUID id) {
        return jdbc.sql(LOCK).param("id", id).query(UserRepository::limits).optional();
    }

    boolean setQuota(UserId id, Integer jobs, Long storedBytes) {
        return jdbc.sql(SET_QUOTA).param("id", id.value()).param("jobs", jobs).param("storedBytes", storedBytes).update() == 1;
    }

    int countJobs(UUID id) {
        return jdbc.sql(COUNT_JOBS).param("id", id).query(Integer.class).single();
    }

    private static Limits limits(ResultSet rs, int row) throws SQLException {
        return new Limits((Integer) rs.getObject("quota_jobs"), (Long) rs.getObject("quota_stored_bytes"),
                rs.getLong("stored_bytes"));
    }

    private static User map(ResultSet rs, int row) throws SQLException {
        return new User(new UserId(rs.getObject("id", UUID.class)), rs.getString("name"),
                rs.getTimestamp("created_at").toInstant());
    }
}
