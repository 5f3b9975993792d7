package io.pollster.user;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.UUID;

import io.pollster.support.TestDatabase;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** V25 ends the admin sessions that stored a plain hash of the admin token, and keeps users' sessions. */
class AdminSessionMigrationTest {

    @Test
    void adminSessionsStoredWithAPlainHashAreEndedAndUsersSessionsKept() throws Exception {
        TestDatabase db = TestDatabase.get().sibling("adminsessions");
        migrate(db, "20"); // browser_sessions as V20 made it
        UUID user = UUID.randomUUID();
        try (Connection c = db.connect()) {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO users (id, name, token_hash, created_at) VALUES (?, 'alice', ?, now())")) {
                s.setObject(1, user);
                s.setBytes(2, ApiTokens.hash("pst_alice"));
                s.executeUpdate();
            }
            insertSession(c, null, ApiTokens.hash("an operator's admin token"));
            insertSession(c, user, ApiTokens.hash("pst_alice"));
        }

        migrate(db, "latest");

        assertThat(db.scalar("SELECT count(*) FROM browser_sessions WHERE user_id IS NULL")).isZero();
        assertThat(db.scalar("SELECT count(*) FROM browser_sessions WHERE user_id IS NOT NULL")).isEqualTo(1);
    }

    private static void insertSession(Connection c, UUID userId, byte[] tokenHash) throws Exception {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO browser_sessions (id_hash, user_id, token_hash, csrf, created_at, expires_at)
                VALUES (?, ?, ?, 'csrf', now(), now() + interval '1 hour')
                """)) {
            s.setBytes(1, ApiTokens.hash(ApiTokens.random()));
            s.setObject(2, userId);
            s.setBytes(3, tokenHash);
            s.executeUpdate();
        }
    }

    private static void migrate(TestDatabase db, String target) {
        Flyway.configure().dataSource(db.url(), db.username(), db.password()).locations("classpath:db/migration")
                .target(target).load().migrate();
    }
}
