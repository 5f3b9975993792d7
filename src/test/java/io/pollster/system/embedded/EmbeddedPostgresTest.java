package io.pollster.system.embedded;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import io.pollster.support.TestDirs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddedPostgresTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Path dataDir = TestDirs.newDir("embedded-pg-").resolve("data");

    @Test
    void keepsCommittedDataAcrossAStopAndAStart() throws Exception {
        try (EmbeddedPostgres server = EmbeddedPostgres.start(dataDir, 0, TIMEOUT);
             Connection c = connect(server); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE kept (v TEXT)");
            s.execute("INSERT INTO kept VALUES ('still here')");
        }
        assertThat(dataDir.resolve("postgres/postmaster.pid")).doesNotExist();

        try (EmbeddedPostgres server = EmbeddedPostgres.start(dataDir, 0, TIMEOUT);
             Connection c = connect(server); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT v FROM kept")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("still here");
        }
    }

    @Test
    void writesDurablyListensOnLoopbackOnlyAndNeedsThePassword() throws Exception {
        try (EmbeddedPostgres server = EmbeddedPostgres.start(dataDir, 0, TIMEOUT);
             Connection c = connect(server); Statement s = c.createStatement()) {
            assertThat(show(s, "fsync")).isEqualTo("on");
            assertThat(show(s, "synchronous_commit")).isEqualTo("on");
            assertThat(show(s, "listen_addresses")).isEqualTo("127.0.0.1");
            assertThatThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(), server.username(), "wrong"))
                    .isInstanceOf(SQLException.class);
        }
    }

    @Test
    void refusesASecondOwnerOfTheSameDataDirectory() throws Exception {
        try (EmbeddedPostgres ignored = EmbeddedPostgres.start(dataDir, 0, TIMEOUT)) {
            assertThatThrownBy(() -> EmbeddedPostgres.start(dataDir, 0, TIMEOUT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Another Pollster process is using the embedded database");
        }
    }

    private static Connection connect(EmbeddedPostgres server) throws SQLException {
        return DriverManager.getConnection(server.jdbcUrl(), server.username(), server.password());
    }

    private static String show(Statement s, String setting) throws SQLException {
        try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
