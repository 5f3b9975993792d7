package io.pollster.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A PostgreSQL database of its own for one scenario run, created on the local server and dropped
 * at the end — also when the run fails. The server is {@code 127.0.0.1:5432}, user {@code postgres}
 * (trust), unless {@code POLLSTER_BENCH_PG_URL} / {@code _USER} / {@code _PASSWORD} say otherwise.
 */
final class BenchDatabase implements AutoCloseable {

    private static final String SERVER = env("POLLSTER_BENCH_PG_URL", "jdbc:postgresql://127.0.0.1:5432/postgres");
    static final String USER = env("POLLSTER_BENCH_PG_USER", "postgres");
    static final String PASSWORD = env("POLLSTER_BENCH_PG_PASSWORD", "");

    private static final String TABLE_WRITES = """
            SELECT relname, n_tup_ins, n_tup_upd, n_tup_del
            FROM pg_stat_user_tables
            """;

    private final String name;
    private boolean dropped;

    private BenchDatabase(String name) {
        this.name = name;
    }

    static BenchDatabase create(String scenario) throws SQLException {
        String name = "pollster_bench_" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss")) + "_"
                + scenario.replace('-', '_') + "_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        try (Connection c = DriverManager.getConnection(SERVER, USER, PASSWORD); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new BenchDatabase(name);
    }

    String name() {
        return name;
    }

    /** The JDBC URL of this database on the same server. */
    String url() {
        int slash = SERVER.lastIndexOf('/');
        int query = SERVER.indexOf('?', slash);
        return SERVER.substring(0, slash + 1) + name + (query < 0 ? "" : SERVER.substring(query));
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), USER, PASSWORD);
    }

    void execute(String sql, Object... params) throws SQLException {
        try (Connection c = connect()) {
            execute(c, sql, params);
        }
    }

    static int execute(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            return s.executeUpdate();
        }
    }

    /** The one number a statement answers, on the caller's connection. */
    static long queryLong(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    long queryLong(String sql, Object... params) throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    String queryString(String sql, Object... params) throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** Rows written to one table so far. */
    record Writes(long inserted, long updated, long deleted) {
        Writes minus(Writes earlier) {
            return new Writes(inserted - earlier.inserted, updated - earlier.updated, deleted - earlier.deleted);
        }

        long total() {
            return inserted + updated + deleted;
        }
    }

    /**
     * Rows inserted, updated and deleted per table since the database was created. PostgreSQL
     * publishes a busy backend's counts about once a second, so deltas over a window of seconds
     * are off by about a second's worth at each end.
     */
    Map<String, Writes> tableWrites() throws SQLException {
        Map<String, Writes> writes = new LinkedHashMap<>();
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(TABLE_WRITES)) {
            while (rs.next()) {
                writes.put(rs.getString(1), new Writes(rs.getLong(2), rs.getLong(3), rs.getLong(4)));
            }
        }
        return writes;
    }

    /** Autovacuum runs per table so far: the cleanup that dead row versions cost. */
    Map<String, Long> autovacuums() throws SQLException {
        Map<String, Long> runs = new LinkedHashMap<>();
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT relname, autovacuum_count FROM pg_stat_user_tables")) {
            while (rs.next()) {
                runs.put(rs.getString(1), rs.getLong(2));
            }
        }
        return runs;
    }

    /** Bytes of WAL the whole server has written so far (every database: noisy when others are busy). */
    long walBytes() throws SQLException {
        return queryLong("SELECT CAST(pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS BIGINT)");
    }

    /** Drops the database, closing the connections Pollster may have left. */
    @Override
    public synchronized void close() throws SQLException {
        if (dropped) {
            return;
        }
        try (Connection c = DriverManager.getConnection(SERVER, USER, PASSWORD); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
        dropped = true;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
