package io.pollster.user;

import java.sql.ResultSet;
import java.sql.SQLException;
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

    List<User> findPage(UUID after, int limit) {
        return jdbc.sql(FIND_PAGE).param("after", after).param("limit", limit).query(UserRepository::map).list();
    }

    boolean delete(UserId id) {
        return jdbc.sql(DELETE).param("id", id.value()).update() == 1;
    }

    private static User map(ResultSet rs, int row) throws SQLException {
        return new User(new UserId(rs.getObject("id", UUID.class)), rs.getString("name"),
                rs.getTimestamp("created_at").toInstant());
    }
}
