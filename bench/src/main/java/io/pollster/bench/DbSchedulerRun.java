package io.pollster.bench;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The comparison for the scheduler scenario: db-scheduler (Maven Central) with the same number of
 * recurring no-op tasks, every one due every second, on the same PostgreSQL. It runs inside the
 * harness, with its lock-and-fetch polling strategy ({@code SELECT … FOR UPDATE SKIP LOCKED}) and
 * the configuration its README reports its best lock-and-fetch throughput with: 20 threads, lower
 * limit 4.0, upper limit 20.0 (fetch up to 400 executions, fetch again at 80 left).
 */
final class DbSchedulerRun implements AutoCloseable {

    /** {@code POLLSTER_BENCH_DB_SCHEDULER=threads,lower,upper} overrides the settings below, to compare others. */
    private static final String[] SETTINGS = System.getenv().getOrDefault("POLLSTER_BENCH_DB_SCHEDULER", "20,4.0,20.0").split(",");
    static final int THREADS = Integer.parseInt(SETTINGS[0].strip());
    static final double LOWER_LIMIT = Double.parseDouble(SETTINGS[1].strip());
    static final double UPPER_LIMIT = Double.parseDouble(SETTINGS[2].strip());
    // why: the same idle look-again interval as Pollster's scheduler; with a backlog neither waits for it
    static final Duration POLLING_INTERVAL = Duration.ofMillis(50);

    /** db-scheduler's documented PostgreSQL table (16.x: with the priority column and its index). */
    private static final String DDL = """
            CREATE TABLE scheduled_tasks (
                task_name            TEXT                     NOT NULL,
                task_instance        TEXT                     NOT NULL,
                task_data            BYTEA,
                execution_time       TIMESTAMP WITH TIME ZONE NOT NULL,
                picked               BOOLEAN                  NOT NULL,
                picked_by            TEXT,
                last_success         TIMESTAMP WITH TIME ZONE,
                last_failure         TIMESTAMP WITH TIME ZONE,
                consecutive_failures INT,
                last_heartbeat       TIMESTAMP WITH TIME ZONE,
                version              BIGINT                   NOT NULL,
                priority             SMALLINT,
                PRIMARY KEY (task_name, task_instance)
            );
            CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time);
            CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
            CREATE INDEX priority_execution_time_idx ON scheduled_tasks (priority DESC, execution_time ASC);
            """;

    /** n instances of one recurring task, all due now: the same rows db-scheduler's own schedule() would write. */
    private static final String INSTANCES = """
            INSERT INTO scheduled_tasks (task_name, task_instance, task_data, execution_time, picked, version)
            SELECT ?, 'noop-' || g.i, NULL, now(), FALSE, 1
            FROM generate_series(1, ?) AS g(i)
            """;

    private static final String TASK = "bench-noop";

    static void createTasks(BenchDatabase db, int n) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(DDL);
            BenchDatabase.execute(c, INSTANCES, TASK, n);
        }
        JobTable.vacuumAnalyze(db, "scheduled_tasks");
    }

    /** The db-scheduler version on the classpath (from its jar's Maven metadata). */
    static String version() {
        try (var in = Scheduler.class.getResourceAsStream("/META-INF/maven/com.github.kagkarlsson/db-scheduler/pom.properties")) {
            var properties = new java.util.Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** @param walBytesPerExecution WAL the server wrote per execution (all databases) */
    record Measured(double executionsPerSecond, Map<String, Object> cpu, double walBytesPerExecution) {
    }

    private final BenchDatabase db;
    private final HikariDataSource dataSource;
    private final LongAdder executed = new LongAdder();
    private final RecurringTask<Void> task = Tasks.recurring(TASK, FixedDelay.of(Duration.ofSeconds(1)))
            .execute((instance, context) -> executed.increment());

    private DbSchedulerRun(BenchDatabase db, HikariDataSource dataSource) {
        this.db = db;
        this.dataSource = dataSource;
    }

    /** A connection pool for db-scheduler: its threads, plus room for polling and housekeeping. */
    static DbSchedulerRun open(BenchDatabase db) {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(db.url());
        pool.setUsername(BenchDatabase.USER);
        pool.setPassword(BenchDatabase.PASSWORD);
        pool.setMaximumPoolSize(THREADS + 5);
        pool.setPoolName("db-scheduler");
        return new DbSchedulerRun(db, new HikariDataSource(pool));
    }

    /** Starts a db-scheduler, lets it warm up, counts executions over the window, stops it. */
    Measured measure(Duration warmup, Duration window) throws Exception {
        Scheduler scheduler = Scheduler.create(dataSource, task)
                .threads(THREADS)
                .pollUsingLockAndFetch(LOWER_LIMIT, UPPER_LIMIT)
                .pollingInterval(POLLING_INTERVAL)
                .build();
        scheduler.start();
        try {
            Thread.sleep(warmup);
            long before = executed.sum();
            ProcessCpu.Sample cpuBefore = ProcessCpu.sample(-1, db.name());
            long walBefore = db.walBytes();
            long start = System.nanoTime();
            Thread.sleep(window);
            long after = executed.sum();
            double seconds = (System.nanoTime() - start) / 1e9;
            ProcessCpu.Sample cpuAfter = ProcessCpu.sample(-1, db.name());
            long wal = db.walBytes() - walBefore;
            return new Measured((after - before) / seconds, ProcessCpu.between(cpuBefore, cpuAfter),
                    (double) wal / Math.max(1, after - before));
        } finally {
            scheduler.stop();
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
