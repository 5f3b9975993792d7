package io.pollster.cache;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears {@code NOTIFY pollster_cache} on a connection of its own (outside the pool, which it would
 * otherwise hold for ever) and wakes this node's waiters of the key. When the connection is lost
 * every waiter looks again, and keeps looking on its bounded fallback poll until it is back. Once
 * a minute it also deletes entries past their retention.
 */
final class PostgresCacheListener extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(PostgresCacheListener.class);
    private static final int WAIT_MS = 1_000;
    private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
    /** How often the quiet connection is asked a question, so that one cut without a word is noticed. */
    private static final Duration CHECK_EVERY = Duration.ofSeconds(30);

    private final DataSource dataSource;
    private final CacheWaiters waiters;
    private final PostgresCacheBackend backend;
    private final Roles roles;
    private volatile Connection connection;
    private Instant sweptAt = Instant.EPOCH;
    private Instant checkedAt = Instant.EPOCH;

    PostgresCacheListener(DataSource dataSource, CacheWaiters waiters, PostgresCacheBackend backend, Roles roles, Loops loops) {
        super(loops, "cache-notifications", Duration.ofSeconds(1), ShutdownPhase.UPKEEP, Duration.ofSeconds(3));
        this.dataSource = dataSource;
        this.waiters = waiters;
        this.backend = backend;
        this.roles = roles;
    }

    @Override
    protected Duration runOnce() throws SQLException {
        if (Instant.now().isAfter(sweptAt.plus(SWEEP_EVERY))) {
            sweptAt = Instant.now();
            backend.sweep(10_000);
        }
        try {
            Connection listening = connection;
            if (listening == null) {
                listening = connect();
                connection = listening;
                try (Statement statement = listening.createStatement()) {
                    statement.execute("LISTEN " + PostgresCacheBackend.CHANNEL);
                }
                waiters.wakeAll(); // what landed while it was away
                checkedAt = Instant.now();
            }
            if (Instant.now().isAfter(checkedAt.plus(CHECK_EVERY))) {
                checkedAt = Instant.now();
                try (Statement statement = listening.createStatement()) {
                    statement.setQueryTimeout(PostgresCacheBackend.QUERY_TIMEOUT_SECONDS);
                    statement.execute("SELECT 1");
                }
            }
            PGNotification[] notifications = listening.unwrap(PGConnection.class).getNotifications(WAIT_MS);
            if (notifications != null) {
                for (PGNotification notification : notifications) {
                    waiters.landed(notification.getParameter());
                }
            }
            return Duration.ZERO;
        } catch (SQLException e) {
            log.warn("Lost the connection that hears shared answers land ({}); waiting polls look every second until"
                    + " it is back", e.getMessage());
            close();
            waiters.wakeAll();
            throw e;
        }
    }

    /** The pool's own settings (TLS and the like included), with keepalives; a pooled connection only for another pool. */
    private Connection connect() throws SQLException {
        if (dataSource instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null) {
            Properties properties = new Properties();
            properties.putAll(hikari.getDataSourceProperties());
            if (hikari.getUsername() != null) {
                properties.setProperty("user", hikari.getUsername());
            }
            if (hikari.getPassword() != null) {
                properties.setProperty("password", hikari.getPassword());
            }
            properties.setProperty("tcpKeepAlive", "true");
            properties.setProperty("ApplicationName", "pollster cache notifications");
            return DriverManager.getConnection(hikari.getJdbcUrl(), properties);
        }
        return dataSource.getConnection();
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.POLLER);
    }

    @Override
    protected void afterStop(boolean finished) {
        close(); // a round still in flight fails on the closed connection and ends
    }

    private void close() {
        Connection open = connection;
        connection = null;
        if (open != null) {
            try {
                open.close();
            } catch (SQLException ignored) {
                // it is going anyway
            }
        }
    }
}
