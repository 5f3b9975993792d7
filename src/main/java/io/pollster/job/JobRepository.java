package io.pollster.job;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

@Repository
public class JobRepository {

    /** A job is its row in {@code jobs} and its due times in {@code job_schedules}, which the scheduler works on alone. */
    private static final String COLUMNS = """
            j.id, j.owner_id, j.spec, j.secret_headers, j.status, s.effective_interval_ms, s.next_run_at, j.last_run_at,
            j.last_outcome, j.polls, j.changes, j.failures, j.consecutive_failures, j.etag, j.last_modified, j.latest_hash,
            j.latest_version_id, j.version, j.created_at, j.updated_at
            FROM jobs j
            JOIN job_schedules s ON s.job_id = j.id
            """;

    private static final String INSERT = """
            WITH job AS (
                INSERT INTO jobs (id, owner_id, spec, spec_bytes, secret_headers, status, created_at, updated_at)
                VALUES (:id, :owner, CAST(:spec AS JSONB), :specBytes, :secrets, :status, :now, :now)
            )
            INSERT INTO job_schedules (job_id, interval_ms, cron, jitter_ms, effective_interval_ms, next_due_at, next_run_at)
            VALUES (:id, :intervalMs, :cron, :jitterMs, :effectiveMs, :nextDueAt, :nextRunAt)
            """;

    private static final String FIND = "SELECT " + COLUMNS + "WHERE j.id = :id";

    private static final String FIND_POLL_STATE = """
            SELECT j.owner_id, j.status, j.version, s.effective_interval_ms, j.etag, j.last_modified, j.latest_hash,
                   j.done_fire_at,
                   (j.last_run_at IS NULL OR j.fold_duration_ms > 1000) AS expected_slow
            FROM jobs j
            JOIN job_schedules s ON s.job_id = j.id
            WHERE j.id = :id
            """;

    /**
     * A page of jobs, cut short once their definitions pass {@code :maxBytes} (the first is always
     * in): a thousand jobs with 1 MiB request bodies must not be held in memory at once.
     * {@code fetched} says how many rows the page would have had without the cut.
     */
    private static final String FIND_PAGE = """
            SELECT page.*
            FROM (
                SELECT fetched_rows.*,
                       sum(fetched_rows.spec_bytes) OVER (ORDER BY fetched_rows.id) - fetched_rows.spec_bytes AS bytes_before,
                       row_number() OVER (ORDER BY fetched_rows.id) AS position,
                       count(*) OVER () AS fetched
                FROM (
                    SELECT j.id, j.owner_id, j.spec, j.spec_bytes, j.secret_headers, j.status, s.effective_interval_ms,
                           s.next_run_at, j.last_run_at, j.last_outcome, j.polls, j.changes, j.failures,
                           j.consecutive_failures, j.etag, j.last_modified, j.latest_hash, j.latest_version_id, j.version,
                           j.created_at, j.updated_at
                    FROM jobs j
                    JOIN job_schedules s ON s.job_id = j.id
                    WHERE (:anyOwner OR j.owner_id = :owner)
                      AND (:anyStatus OR j.status = :status)
                      AND j.id > :after
                    ORDER BY j.id
                    LIMIT :limit) fetched_rows) page
            WHERE page.position = 1
               OR page.bytes_before < :maxBytes
            ORDER BY page.id
            """;

    private static final String COUNT_OWNED = "SELECT count(*) FROM jobs WHERE owner_id = :owner";

    /** One statement: the schedule follows the definition only if the definition's version matched. */
    private static final String UPDATE_DEFINITION = """
            WITH job AS (
                UPDATE jobs
                SET spec = CAST(:spec AS JSONB), spec_bytes = :specBytes, secret_headers = :secrets, status = :status,
                    etag = CASE WHEN :requestChanged THEN NULL ELSE etag END,
                    last_modified = CASE WHEN :requestChanged THEN NULL ELSE last_modified END,
                    updated_at = :now, version = version + 1
                WHERE id = :id
                  AND version = :version
                RETURNING id
            )
            UPDATE job_schedules s
            SET interval_ms = :intervalMs, cron = :cron, jitter_ms = :jitterMs, effective_interval_ms = :effectiveMs,
                next_due_at = CASE WHEN :reschedule THEN :nextDueAt ELSE s.next_due_at END,
                next_run_at = CASE WHEN NOT :reschedule THEN s.next_run_at
                                   WHEN s.run_requested THEN LEAST(s.next_run_at, CAST(:nextRunAt AS TIMESTAMPTZ))
                                   ELSE :nextRunAt END
            FROM job
            WHERE s.job_id = job.id
            """;

    /** The job's history and bodies go with it (cascades), and with them what it stored of its owner's quota. */
    private static final String DELETE = "DELETE FROM jobs WHERE id = :id";

    /**
     * Secret headers still sealed in format 1, in id order, locked; rows another node or a request
     * holds are skipped, not waited for. The predicate is the one of the index jobs_legacy_sealed_secrets.
     */
    private static final String LOCK_LEGACY_SECRETS = """
            SELECT id, secret_headers
            FROM jobs
            WHERE substring(secret_headers FROM 1 FOR 1) = CAST('\\x01' AS BYTEA)
              AND id > :after
            ORDER BY id
            LIMIT :limit
            FOR UPDATE SKIP LOCKED
            """;

    /** Only the sealed value changes: its plaintext is the same, so the version (and every cached poll target) stays. */
    private static final String STORE_SECRETS = """
            UPDATE jobs j
            SET secret_headers = r.sealed
            FROM UNNEST(CAST(:ids AS UUID[]), CAST(:sealed AS BYTEA[])) AS r(id, sealed)
            WHERE j.id = r.id
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;

    JobRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Where a job's schedule stands after a write: null times when it is stopped. */
    record Scheduling(Long intervalMs, String cron, long jitterMs, Long effectiveMs, Instant nextDueAt, Instant nextRunAt) {
    }

    void insert(JobId id, UUID owner, JobSpec spec, byte[] secrets, JobStatus status, Scheduling s, Instant now) {
        definition(jdbc.sql(INSERT), spec, secrets, status, s, now)
                .param("id", id.value())
                .param("owner", owner)
                .update();
    }

    public Optional<Job> find(JobId id) {
        return jdbc.sql(FIND).param("id", id.value()).query(this::map).optional();
    }

    /** The narrow read a poll makes every time: no definition, no JSON to parse. */
    public Optional<PollState> findPollState(JobId id) {
        return jdbc.sql(FIND_POLL_STATE).param("id", id.value()).query((rs, n) -> {
            long effective = rs.getLong("effective_interval_ms");
            Duration effectiveInterval = rs.wasNull() ? null : Duration.ofMillis(effective);
            return new PollState(id, rs.getObject("owner_id", UUID.class), JobStatus.valueOf(rs.getString("status")),
                    rs.getLong("version"), effectiveInterval, rs.getString("etag"), rs.getString("last_modified"),
                    rs.getBytes("latest_hash"), instant(rs, "done_fire_at"), rs.getBoolean("expected_slow"));
        }).optional();
    }

    /**
     * Up to {@code limit} jobs after {@code after}, fewer when their definitions pass
     * {@code maxBytes}; {@code cut} says the page stopped for that reason.
     */
    record Slice(List<Job> jobs, boolean cut) {
    }

    Slice findPage(UUID owner, JobStatus status, UUID after, int limit, long maxBytes) {
        long[] fetched = {0};
        List<Job> jobs = jdbc.sql(FIND_PAGE)
                .param("anyOwner", owner == null)
                .param("owner", owner == null ? new UUID(0, 0) : owner)
                .param("anyStatus", status == null)
                .param("status", status == null ? "" : status.name())
                .param("after", after)
                .param("limit", limit)
                .param("maxBytes", maxBytes)
                .query((rs, n) -> {
                    fetched[0] = rs.getLong("fetched");
                    return map(rs, n);
                })
                .list();
        return new Slice(jobs, jobs.size() < fetched[0]);
    }

    int countOwned(UUID owner) {
        return jdbc.sql(COUNT_OWNED).param("owner", owner).query(Integer.class).single();
    }

    /**
     * Replaces the definition if nobody changed it since {@code job.version()}; false on a conflict.
     *
     * @param requestChanged the request itself changed (URL, method, headers, body): the stored
     *                       ETag / Last-Modified belong to the old one and are dropped
     */
    boolean updateDefinition(Job job, JobSpec spec, byte[] secrets, JobStatus status, Scheduling s,
                             boolean reschedule, boolean requestChanged, Instant now) {
        int rows = definition(jdbc.sql(UPDATE_DEFINITION), spec, secrets, status, s, now)
                .param("id", job.id().value())
                .param("version", job.version())
                .param("reschedule", reschedule)
                .param("requestChanged", requestChanged)
                .update();
        if (rows > 1) {
            throw new IllegalStateException("Updated " + rows + " rows for job " + job.id());
        }
        return rows == 1;
    }

    private JdbcClient.StatementSpec definition(JdbcClient.StatementSpec statement, JobSpec spec, byte[] secrets,
                                                JobStatus status, Scheduling s, Instant now) {
        byte[] definition = json.writeValueAsBytes(spec);
        return statement
                .param("spec", new String(definition, StandardCharsets.UTF_8))
                .param("specBytes", definition.length)
                .param("secrets", secrets)
                .param("status", status.name())
                .param("intervalMs", s.intervalMs())
                .param("cron", s.cron())
                .param("jitterMs", s.jitterMs())
                .param("effectiveMs", s.effectiveMs())
                .param("nextDueAt", ts(s.nextDueAt()))
                .param("nextRunAt", ts(s.nextRunAt()))
                .param("now", ts(now));
    }

    /**
     * One batch of the upgrade of sealed secrets from format 1, in one transaction: locks up to
     * {@code limit} jobs after {@code after} (by id) whose secret headers are in format 1, and
     * stores what {@code reseal} makes of each; null leaves a row as it is. The row locks keep a
     * concurrent edit from being overwritten with the old secrets, and let nodes upgrading at the
     * same time split the rows instead of doing each twice.
     *
     * @return the ids looked at, in order: fewer than {@code limit} once no unlocked one is left
     */
    @Transactional
    List<JobId> resealLegacySecrets(JobId after, int limit, BiFunction<JobId, byte[], byte[]> reseal) {
        List<JobId> seen = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        List<byte[]> sealed = new ArrayList<>();
        jdbc.sql(LOCK_LEGACY_SECRETS)
                .param("after", after.value())
                .param("limit", limit)
                .query(rs -> {
                    JobId id = new JobId(rs.getObject("id", UUID.class));
                    seen.add(id);
                    byte[] resealed = reseal.apply(id, rs.getBytes("secret_headers"));
                    if (resealed != null) {
                        ids.add(id.value());
                        sealed.add(resealed);
                    }
                });
        if (!ids.isEmpty()) {
            jdbc.sql(STORE_SECRETS)
                    .param("ids", ids.toArray(UUID[]::new))
                    .param("sealed", sealed.toArray(byte[][]::new))
                    .update();
        }
        return seen;
    }

    void delete(JobId id) {
        jdbc.sql(DELETE).param("id", id.value()).update();
    }

    private Job map(ResultSet rs, int row) throws SQLException {
        long effective = rs.getLong("effective_interval_ms");
        Duration effectiveInterval = rs.wasNull() ? null : Duration.ofMillis(effective);
        return new Job(
                new JobId(rs.getObject("id", UUID.class)),
                rs.getObject("owner_id", UUID.class),
                json.readValue(rs.getString("spec"), JobSpec.class),
                rs.getBytes("secret_headers"),
                JobStatus.valueOf(rs.getString("status")),
                effectiveInterval,
                instant(rs, "next_run_at"),
                instant(rs, "last_run_at"),
                rs.getString("last_outcome"),
                new Job.Stats(rs.getLong("polls"), rs.getLong("changes"), rs.getLong("failures"),
                        rs.getInt("consecutive_failures")),
                rs.getString("etag"),
                rs.getString("last_modified"),
                rs.getBytes("latest_hash"),
                rs.getObject("latest_version_id", UUID.class),
                rs.getLong("version"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"));
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp ts = rs.getTimestamp(column);
        return ts == null ? null : ts.toInstant();
    }

    static Timestamp ts(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }
}
