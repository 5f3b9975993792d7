package io.pollster.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Registers jobs in bulk. One job goes through the API — validated, defaults filled in, exactly as
 * Pollster stores it — and SQL copies its row, {@code spec} included, {@code n} times in one
 * {@code INSERT … SELECT … FROM generate_series}: a million jobs in seconds instead of an hour of
 * POSTs.
 */
final class JobTable {

    /** Copies of the template, due now; {@code spec.url} is the template's or, with a stub, resource i of the stub. */
    private static final String COPY = """
            WITH copied AS (
                INSERT INTO jobs (id, owner_id, spec, status, created_at, updated_at)
                SELECT gen_random_uuid(), t.owner_id,
                       CASE WHEN CAST(? AS TEXT) IS NULL THEN t.spec
                            ELSE jsonb_set(t.spec, '{url}', to_jsonb(format(?, 1 + g.i % ?, g.i))) END,
                       t.status, now(), now()
                FROM jobs t, generate_series(1, ?) AS g(i)
                WHERE t.id = ?
                RETURNING id
            ), history AS (
                INSERT INTO job_polls (job_id)
                SELECT id FROM copied
            )
            INSERT INTO job_schedules (job_id, interval_ms, cron, jitter_ms, effective_interval_ms, next_due_at, next_run_at)
            SELECT c.id, s.interval_ms, s.cron, s.jitter_ms, s.effective_interval_ms, now(), now()
            FROM copied c, job_schedules s
            WHERE s.job_id = ?
            """;

    /**
     * Every job due once per interval, the due times spread evenly over one interval from now (by
     * a hash of the id: the same expression gives both columns the same value).
     */
    private static final String SPREAD_SPEC = """
            UPDATE jobs
            SET spec = jsonb_set(spec, '{interval}', to_jsonb(CAST(? AS TEXT)))
            """;

    private static final String SPREAD = """
            UPDATE job_schedules
            SET interval_ms = ?, effective_interval_ms = ?,
                next_due_at = now() + ((hashtext(CAST(job_id AS TEXT)) & 2147483647) % ?) * INTERVAL '1 millisecond',
                next_run_at = now() + ((hashtext(CAST(job_id AS TEXT)) & 2147483647) % ?) * INTERVAL '1 millisecond'
            """;

    /** The template's row, kept in the session while the table is emptied. */
    private static final String KEEP_TEMPLATE = """
            CREATE TEMPORARY TABLE template AS
            SELECT j.owner_id, j.spec, j.status, s.cron, s.jitter_ms, s.effective_interval_ms
            FROM jobs j
            JOIN job_schedules s ON s.job_id = j.id
            WHERE j.id = ?
            """;

    /** n copies of the kept template, due once per interval, due times spread evenly over one interval from now + start. */
    private static final String RESPACED = """
            WITH copied AS (
                INSERT INTO jobs (id, owner_id, spec, status, created_at, updated_at)
                SELECT gen_random_uuid(), t.owner_id, jsonb_set(t.spec, '{interval}', to_jsonb(CAST(? AS TEXT))), t.status,
                       now(), now()
                FROM template t, generate_series(0, ? - 1) AS g(i)
                RETURNING id
            ), history AS (
                INSERT INTO job_polls (job_id)
                SELECT id FROM copied
            ), numbered AS (
                SELECT id, row_number() OVER () - 1 AS i
                FROM copied
            )
            INSERT INTO job_schedules (job_id, interval_ms, cron, jitter_ms, effective_interval_ms, next_due_at, next_run_at)
            SELECT n.id, ?, t.cron, t.jitter_ms, CASE WHEN t.effective_interval_ms IS NULL THEN NULL ELSE ? END, d.at, d.at
            FROM numbered n, template t,
                 LATERAL (SELECT now() + (? + n.i * ?) * INTERVAL '1 millisecond' AS at) AS d
            """;

    private static final String STORED = """
            SELECT CAST(j.spec AS TEXT), j.status, s.interval_ms, s.jitter_ms, s.effective_interval_ms
            FROM jobs j
            JOIN job_schedules s ON s.job_id = j.id
            WHERE j.id = ?
            """;

    private static final String USER = """
            INSERT INTO users (id, name, token_hash, created_at)
            VALUES (?, 'bench', decode(md5(CAST(random() AS TEXT)), 'hex'), now())
            """;

    private static final String STORE = """
            WITH job AS (
                INSERT INTO jobs (id, owner_id, spec, status, created_at, updated_at)
                VALUES (?, ?, jsonb_set(CAST(? AS JSONB), '{url}', to_jsonb(CAST(? AS TEXT))), ?, now(), now())
                RETURNING id
            ), history AS (
                INSERT INTO job_polls (job_id)
                SELECT id FROM job
            )
            INSERT INTO job_schedules (job_id, interval_ms, jitter_ms, effective_interval_ms, next_due_at, next_run_at)
            VALUES (?, ?, ?, ?, now(), now())
            """;

    /** A job row as Pollster wrote it for a {@code {"url","interval":"1s"}} POST, from an earlier scenario of this run. */
    private record Stored(String spec, String status, long intervalMs, long jitterMs, Long effectiveMs) {
    }

    private static volatile Stored stored;

    private JobTable() {
    }

    /** @param token the user's API token; null for a user created by SQL, who cannot call the API */
    record Template(UUID owner, String token, UUID job) {
    }

    /** A user and one job through the API; every other job is a copy of this one. */
    static Template createTemplate(PollsterApi api, BenchDatabase db, String url) throws Exception {
        PollsterApi.NewUser user = api.createUser("bench");
        UUID job = api.createJob(user.token(), url, "1s");
        try (Connection c = db.connect(); var s = c.prepareStatement(STORED)) {
            s.setObject(1, job);
            try (var rs = s.executeQuery()) {
                rs.next();
                long effective = rs.getLong(5);
                stored = new Stored(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.wasNull() ? null : effective);
            }
        }
        return new Template(user.id(), user.token(), job);
    }

    /**
     * The template for a scenario that measures Pollster without its API, once that Pollster has
     * started (and migrated the schema). The first time, through the API of a short-lived second
     * Pollster ({@code api} role only) on the same database; later in the same harness run — the
     * same jar — the row Pollster stored then is written again by SQL, saving a Pollster start.
     */
    static Template templateWithoutApi(ScenarioRun run, String url) throws Exception {
        Stored known = stored;
        if (known == null) {
            PollsterChild setup = run.pollster("setup", Set.of("api"), PollsterChild.FAST_START);
            Template template = createTemplate(new PollsterApi(setup.base()), run.db(), url);
            run.release(setup);
            return template;
        }
        UUID owner = UUID.randomUUID();
        UUID job = UUID.randomUUID();
        try (Connection c = run.db().connect()) {
            BenchDatabase.execute(c, USER, owner);
            BenchDatabase.execute(c, STORE, job, owner, known.spec(), url, known.status(), job, known.intervalMs(),
                    known.jitterMs(), known.effectiveMs());
        }
        return new Template(owner, null, job);
    }

    /**
     * Inserts {@code copies} copies of the template job, due now.
     *
     * @param stub null: every copy keeps the template's URL; else copy i polls {@code stub.url(i)}
     */
    static void copy(BenchDatabase db, Template template, int copies, StubUpstream stub) throws Exception {
        String format = stub == null ? null : stub.url(0).replaceFirst("127\\.0\\.0\\.\\d+", "127.0.0.%s").replaceFirst("/r/0$", "/r/%s");
        try (Connection c = db.connect()) {
            skipForeignKeyChecks(c);
            BenchDatabase.execute(c, COPY, format, format, stub == null ? 1 : stub.hosts(), copies, template.job(), template.job());
        }
        vacuumAnalyze(db, "jobs", "job_schedules", "job_polls");
    }

    /**
     * Every job due once per {@code interval}, due times spread evenly: a steady fire rate of
     * jobs / interval, changed while Pollster runs — for a few thousand jobs ({@link #reload} for
     * more). Under a table lock, so the scheduler waits instead of racing the update.
     */
    static void spread(BenchDatabase db, Duration interval) throws Exception {
        long ms = interval.toMillis();
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            BenchDatabase.execute(c, "LOCK TABLE job_schedules IN EXCLUSIVE MODE");
            BenchDatabase.execute(c, SPREAD_SPEC, interval.toString());
            BenchDatabase.execute(c, SPREAD, ms, ms, ms, ms);
            c.commit();
        }
        vacuumAnalyze(db, "jobs", "job_schedules", "job_polls");
    }

    /**
     * Replaces every job by {@code jobs} copies of the template due once per {@code interval}, due
     * times spread evenly from {@code start} after now: a steady fire rate of jobs / interval. For
     * a million jobs this is cheaper and cleaner than an UPDATE, which leaves a million dead rows in
     * the claim's index and races the running scheduler. The scheduler idles while the table is
     * empty; make {@code start} longer than the load takes, or the jobs that fell due meanwhile
     * fire in one burst first (a late fire keeps its job on its grid, so the rate is steady after).
     */
    static void reload(BenchDatabase db, Template template, int jobs, Duration interval, Duration start) throws Exception {
        long ms = interval.toMillis();
        try (Connection c = db.connect()) {
            skipForeignKeyChecks(c);
            BenchDatabase.execute(c, KEEP_TEMPLATE, template.job());
            truncateJobs(c);
            BenchDatabase.execute(c, RESPACED, interval.toString(), jobs, ms, ms, start.toMillis(), (double) ms / jobs);
        }
        vacuumAnalyze(db, "jobs", "job_schedules", "job_polls");
    }

    /**
     * TRUNCATE takes its tables one after another while the running scheduler's claim may hold
     * one of them and want the next: PostgreSQL then ends one of the two as a deadlock. The
     * scheduler retries its round; so does this, a few times.
     */
    private static void truncateJobs(Connection c) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                BenchDatabase.execute(c, "TRUNCATE jobs CASCADE");
                return;
            } catch (SQLException e) {
                if (!"40P01".equals(e.getSQLState()) || attempt == 5) {
                    throw e;
                }
                Thread.sleep(100L * attempt);
            }
        }
    }

    /**
     * How far the scheduler is behind: now minus the earliest due time of an active job (negative
     * when nothing is due). The first entry of the claim's own index: cheap enough to ask twice a
     * second without disturbing what is measured, unlike counting the overdue jobs.
     */
    static Duration backlog(BenchDatabase db) throws Exception {
        String seconds = db.queryString("""
                SELECT CAST(EXTRACT(EPOCH FROM now() - min(next_run_at)) AS TEXT)
                FROM job_schedules
                WHERE next_run_at IS NOT NULL
                """);
        return seconds == null ? Duration.ZERO : Duration.ofMillis(Math.round(Double.parseDouble(seconds) * 1000));
    }

    /**
     * Every copy has the template's owner, so the foreign-key trigger would only check the same
     * user a million times; as superuser, skip it for this session. Without the right
     * to, load with the checks.
     */
    private static void skipForeignKeyChecks(Connection c) {
        try (Statement s = c.createStatement()) {
            s.execute("SET session_replication_role = replica");
        } catch (SQLException notSuperuser) {
            // the checks stay on; slower, same rows
        }
    }

    /** Fresh statistics and a clean visibility map, so the measured phase does not pay for the bulk load. */
    static void vacuumAnalyze(BenchDatabase db, String... tables) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String table : List.of(tables)) {
                s.execute("VACUUM ANALYZE " + table);
            }
        }
    }
}
