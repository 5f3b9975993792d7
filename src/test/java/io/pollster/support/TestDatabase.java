package io.pollster.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.springframework.boot.SpringApplication;

/**
 * One database of its own on the local PostgreSQL for each test run, dropped when the run ends,
 * so runs never see each other's leftovers. Databases of runs that were killed are dropped by the
 * next run once they are old enough not to belong to a run still going.
 *
 * <p>Set {@code POLLSTER_TEST_PG_URL} (default {@code jdbc:postgresql://127.0.0.1:5432/postgres}),
 * {@code POLLSTER_TEST_PG_USER} (default {@code postgres}) and {@code POLLSTER_TEST_PG_PASSWORD}.
 */
public final class TestDatabase {

    private static final String PREFIX = "pollster_test_";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");
    private static final String ADMIN_URL = env("POLLSTER_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/postgres");
    private static final String USER = env("POLLSTER_TEST_PG_USER", "postgres");
    private static final String PASSWORD = env("POLLSTER_TEST_PG_PASSWORD", "");

    private static TestDatabase instance;

    private final String name;

    private TestDatabase(String name) {
        this.name = name;
    }

    /** The run's database, created on first use. Fails (never skips) when PostgreSQL is not there. */
    public static synchronized TestDatabase get() {
        if (instance == null) {
            String name = PREFIX + LocalDateTime.now().format(STAMP) + "_"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
            try (Connection c = admin(); Statement s = c.createStatement()) {
                dropAbandoned(s);
                s.execute("CREATE DATABASE " + name);
            } catch (SQLException e) {
                throw new IllegalStateException("Tests need PostgreSQL at " + ADMIN_URL + " (user " + USER + "): "
                        + e.getMessage() + ". Start it, e.g. pg_ctlcluster --skip-systemctl-redirect 15 main start", e);
            }
            instance = new TestDatabase(name);
            dropAtExit(instance);
        }
        return instance;
    }

    /** Another database of this run (same lifetime), for a process that must not share tables with the test JVM. */
    public synchronized TestDatabase sibling(String suffix) {
        TestDatabase sibling = new TestDatabase(name + "_" + suffix);
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + sibling.name + " WITH (FORCE)");
            s.execute("CREATE DATABASE " + sibling.name);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create test database " + sibling.name, e);
        }
        dropAtExit(sibling);
        return sibling;
    }

    public String url() {
        return ADMIN_URL.substring(0, ADMIN_URL.lastIndexOf('/') + 1) + name;
    }

    public String username() {
        return USER;
    }

    public String password() {
        return PASSWORD;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), USER, PASSWORD);
    }

    /** The one number a query answers, such as a count. */
    public long scalar(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Runs one statement. */
    /** The first column of every row, as text. */
    public java.util.List<String> strings(String sql) throws SQLException {
        java.util.List<String> values = new java.util.ArrayList<>();
        try (Connection c = connect(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    public void execute(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private void drop() {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            System.err.println("Could not drop test database " + name + ": " + e.getMessage());
        }
    }

    /**
     * Spring runs its shutdown handlers after it has closed every application context: a plain JVM
     * shutdown hook would run beside that and pull the database away from a Pollster still stopping.
     */
    private static void dropAtExit(TestDatabase db) {
        SpringApplication.getShutdownHandlers().add(db::drop);
    }

    private static void dropAbandoned(Statement s) throws SQLException {
        String cutoff = PREFIX + LocalDateTime.now().minusHours(3).format(STAMP);
        List<String> old = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT datname FROM pg_database WHERE datname LIKE '" + PREFIX + "%'")) {
            while (rs.next()) {
                if (rs.getString(1).compareTo(cutoff) < 0) {
                    old.add(rs.getString(1));
                }
            }
        }
        for (String db : old) {
            s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
    }

    private static Connection admin() throws SQLException {
        return DriverManager.getConnection(ADMIN_URL, USER, PASSWORD);
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
