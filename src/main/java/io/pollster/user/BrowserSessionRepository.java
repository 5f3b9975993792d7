package io.pollster.user;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Owns {@code browser_sessions}: web UI sessions, stored by the hash of their cookie. */
@Repository
class BrowserSessionRepository {

    private static final String INSERT = """
            INSERT INTO browser_sessions (id_hash, user_id, token_hash, csrf, created_at, expires_at)
            VALUES (:idHash, :userId, :tokenHash, :csrf, :createdAt, :expiresAt)
            """;

    /** A user's session ends with the user (cascade) or when the user's token is no longer the one it came from. */
    private static final String FIND = """
            SELECT s.user_id, s.token_hash, s.csrf, u.name
            FROM browser_sessions s
            LEFT JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = :idHash
              AND s.expires_at > :now
              AND (s.user_id IS NULL OR u.token_hash = s.token_hash)
            """;

    /** Which of these sessions are still live, by the same rules as {@link #FIND}. */
    private static final String LIVE_ID_HASHES = """
            SELECT s.id_hash
            FROM browser_sessions s
            LEFT JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = ANY(:idHashes)
              AND s.expires_at > :now
              AND (s.user_id IS NULL OR u.token_hash = s.token_hash)
            """;

    /** A user's sessions beyond the newest {@code :keep}. */
    private static final String DELETE_OLDEST = """
            DELETE FROM browser_sessions
            WHERE id_hash IN (SELECT id_hash FROM browser_sessions
                              WHERE user_id = :userId
                              ORDER BY created_at DESC, id_hash DESC
                              OFFSET :keep)
            """;

    private static final String DELETE_OLDEST_ADMIN = """
            DELETE FROM browser_sessions
            WHERE id_hash IN (SELECT id_hash FROM browser_sessions
                              WHERE user_id IS NULL
                              ORDER BY created_at DESC, id_hash DESC
                              OFFSET :keep)
            """;

    private static final String DELETE = "DELETE FROM browser_sessions WHERE id_hash = :idHash";

    private static final String DELETE_EXPIRED = "DELETE FROM browser_sessions WHERE expires_at <= :now";

    private final JdbcClient jdbc;

    BrowserSessionRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** @param userId null for the admin */
    record Row(UUID userId, String userName, byte[] tokenHash, String csrf) {
    }

    void insert(byte[] idHash, UUID userId, byte[] tokenHash, String csrf, Instant createdAt, Instant expiresAt) {
        jdbc.sql(INSERT)
                .param("idHash", idHash)
                .param("userId", userId)
                .param("tokenHash", tokenHash)
                .param("csrf", csrf)
                .param("createdAt", java.sql.Timestamp.from(createdAt))
                .param("expiresAt", java.sql.Timestamp.from(expiresAt))
                .update();
    }

    Optional<Row> find(byte[] idHash, Instant now) {
        return jdbc.sql(FIND)
                .param("idHash", idHash)
                .param("now", java.sql.Timestamp.from(now))
                .query((rs, n) -> new Row(rs.getObject("user_id", UUID.class), rs.getString("name"),
                        rs.getBytes("token_hash"), rs.getString("csrf")))
                .optional();
    }

    List<byte[]> liveIdHashes(Collection<byte[]> idHashes, Instant now) {
        return jdbc.sql(LIVE_ID_HASHES)
                .param("idHashes", idHashes.toArray(byte[][]::new))
                .param("now", java.sql.Timestamp.from(now))
                .query((rs, n) -> rs.getBytes(1)).list();
    }

    /**
     * Ends a user's oldest sessions, keeping the newest {@code keep}.
     *
     * @param userId null for the admin
     */
    int deleteOldest(UUID userId, int keep) {
        return userId == null
                ? jdbc.sql(DELETE_OLDEST_ADMIN).param("keep", keep).update()
                : jdbc.sql(DELETE_OLDEST).param("userId", userId).param("keep", keep).update();
    }

    void delete(byte[] idHash) {
        jdbc.sql(DELETE).param("idHash", idHash).update();
    }

    int deleteExpired(Instant now) {
        return jdbc.sql(DELETE_EXPIRED).param("now", java.sql.Timestamp.from(now)).update();
    }
}
