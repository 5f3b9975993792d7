package io.pollster.support;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.pollster.PollsterApplication;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * A Pollster on a random port, against the run's own database on the local PostgreSQL with the
 * real Flyway migrations; every table is emptied before each test.
 */
@SpringBootTest(classes = PollsterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
// API tests drive the scheduler and the poller by hand; PipelineTest turns them on (dynamic properties win).
// Ingest is off too: a cached context stays alive while later classes run on the same database and
// queues, and its consumers would take their queue entries (IngestTest turns it on, for itself).
// Heartbeats every 200 ms show a context in the cluster view at once; dead after 25 of them (5 s, as in
// production), so that a context slowed by a busy machine is never taken for dead and loses its claims.
// Every test calls from 127.0.0.1 into contexts that live across classes: the invalid tokens that
// tests send on purpose must not add up to a throttled address (TokenThrottleTest tests the limit).
// Cached contexts of both test JVMs share one PostgreSQL (100 connections by default): an idle one
// shrinks to a single connection instead of keeping a full pool.
@TestPropertySource(properties = {"pollster.scheduler.enabled=false", "pollster.poller.enabled=false",
        "pollster.ingest.enabled=false", "pollster.cluster.heartbeat-interval=200ms", "pollster.cluster.dead-after=25", "pollster.auth.max-failures=100000",
        "spring.datasource.hikari.minimum-idle=1", "spring.datasource.hikari.idle-timeout=10000"})
public abstract class IntegrationTest {

    protected static final String ADMIN_TOKEN = "test-admin-token-0123456789";

    @LocalServerPort
    protected int port;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase db = TestDatabase.get();
        registry.add("spring.datasource.url", db::url);
        registry.add("spring.datasource.username", db::username);
        registry.add("spring.datasource.password", db::password);
        registry.add("pollster.admin-token", () -> ADMIN_TOKEN);
        registry.add("pollster.data-dir", () -> TestDirs.runDir().resolve("data").toString());
        registry.add("spring.rabbitmq.host", () -> "127.0.0.1");
        registry.add("spring.rabbitmq.virtual-host", () -> TestBroker.get().vhost());
    }

    @BeforeEach
    void emptyTables() throws SQLException {
        try (Connection c = TestDatabase.get().connect(); Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("""
                    SELECT tablename FROM pg_tables
                    WHERE schemaname = 'public' AND tablename <> 'flyway_schema_history'
                    """)) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            if (tables.isEmpty()) {
                return;
            }
            for (int attempt = 1; ; attempt++) {
                try {
                    s.execute("TRUNCATE " + String.join(", ", tables) + " RESTART IDENTITY CASCADE");
                    return;
                } catch (SQLException e) {
                    // why: a pipeline context's scheduler and poller keep working meanwhile; their transactions
                    // may lock two of these tables in another order than TRUNCATE does, and PostgreSQL then
                    // aborts one of the two. Truncating again after that is all it takes.
                    if (!"40P01".equals(e.getSQLState()) || attempt == 5) {
                        throw e;
                    }
                }
            }
        }
    }

    protected Api api() {
        return Api.at("http://localhost:" + port);
    }

    protected Api admin() {
        return api().as(ADMIN_TOKEN);
    }

    /** Creates a user and returns their token. */
    protected String createUser(String name) {
        Api.Response created = admin().post("/api/v1/users", "{\"name\":\"" + name + "\"}");
        if (created.status() != 201) {
            throw new IllegalStateException("Could not create user " + name + ": " + created);
        }
        return created.json().get("token").asString();
    }
}
