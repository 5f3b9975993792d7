package io.pollster.job;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code jobs}, a job's definition: the one writer of that table. A job as the API answers it
 * also reads its due times ({@code job_schedules}, the scheduler's) and what its polls left
 * ({@code job_polls}, the poller's), joined, never written here.
 */
@Repository
public class JobRepository {

    private static final String COLUMNS = """
            j.id, j.owner_id, j.spec, j.secret_headers, j.status, s.effective_interval_ms, s.next_run_at, p.last_run_at,
            p.last_outcome, p.polls, p.changes, p.failures, p.consecutive_failures, j.version, j.created_at, j.updated_at,
            (j.spec ->> 'expectChangeWithin') IS NOT NULL AND p.stale_reported_at IS NOT NULL
            AND p.stale_reported_at >= COALESCE(
                (SELECT v.fetched_at FROM versions v WHERE v.id = p.latest_version_id), j.created_at) AS stale
            FROM jobs j
            JOIN job_schedules s ON s.job_id = j.id
            JOIN job_polls p ON p.job_id = j.id
            """;

    private static final String INSERT = """
            INSERT INTO jobs (id, owner_id, spec, spec_bytes, secret_headers, status, created_at, updated_at)
            VALUES (:id, :owner, CAST(:spec AS JSONB), :specBytes, :secrets, :status, :now, :now)
            """;

    private static final String FIND = "SELECT " + COLUMNS + "WHERE j.id = :id";

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
                           s.next_run_at, p.last_run_at, p.last_outcome, p.polls, p.changes, p.failures,
                           p.consecutive_failures, j.version, j.created_at, j.updated_at,
                           (j.spec ->> 'expectChangeWithin') IS NOT NULL AND p.stale_reported_at IS NOT NULL
                           AND p.stale_reported_at >= COALESCE(
                               (SELECT v.fetched_at FROM versions v WHERE v.id = p.latest_version_id), j.created_at) AS stale
                    FROM jobs j
                    JOIN job_schedules s ON s.job_id = j.id
                    JOIN job_polls p ON p.job_id = j.id
                    WHERE (:anyOwner OR j.owner_id = :owner)
                      AND (:anyStatus OR j.status = :status)
                      AND (:anyText OR strpos(lower(j.spec ->> 'name'), :text) > 0 OR strpos(lower(j.spec ->> 'url'), :text) > 0)
                      AND j.id > :after
                    ORDER BY j.id
                    LIMIT :limit) fetched_rows) page
            WHERE page.position = 1
               OR page.bytes_before < :maxBytes
            ORDER BY page.id
            """;

    private static final String IDS_AFTER = """
            SELECT id
            FROM jobs
            WHERE id > :after
            ORDER BY id
            LIMIT :limit
            """;

    /** Only if nobody changed the definition since it was read. */
    private static final String UPDATE_DEFINITION = """
            UPDATE jobs
            SET spec = CAST(:spec AS JSONB), spec_bytes = :specBytes, secret_headers = :secrets, status = :status,
                updated_at = :now, version = version + 1
            WHERE id = :id
              AND version = :version
            """;

    /** Jobs whose schedule cannot say when they fire next. The definition stays: a PATCH repairs it. */
    private static final String STOP = """
            UPDATE jobs
            SET status = 'STOPPED', updated_at = :now, version = version + 1
            WHERE id = ANY(:ids)
              AND status = 'ACTIVE'
            RETURNING id
            """;

    /** A body new to the job counts against its owner's quota; a pruned one stops counting. */
    private static final String ADD_STORED = """
            UPDATE jobs j
            SET stored_bytes = greatest(j.stored_bytes + t.bytes, 0)
            FROM unnest(CAST(:ids AS UUID[]), CAST(:bytes AS BIGINT[])) AS t(id, bytes)
            WHERE j.id = t.id
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

    void insert(JobId id, UUID owner, JobSpec spec, byte[] secrets, JobStatus status, Instant now) {
        definition(jdbc.sql(INSERT), spec, secrets, status, now)
                .param("id", id.value())
                .param("owner", owner)
                .update();
    }

    public Optional<Job> find(JobId id) {
        return jdbc.sql(FIND).param("id", id.value()).query(this::map).optional();
    }

    /**
     * Up to {@code limit} jobs after {@code after}, fewer when their definitions pass
     * {@code maxBytes}; {@code cut} says the page stopped for that reason.
     */
    record Slice(List<Job> jobs, boolean cut) {
    }

    /** @param text null, or lower-case text the job's name or URL contains */
    Slice findPage(UUID owner, JobStatus status, String text, UUID after, int limit, long maxBytes) {
        long[] fetched = {0};
        List<Job> jobs = jdbc.sql(FIND_PAGE)
                .param("anyOwner", owner == null)
                .param("owner", owner == null ? new UUID(0, 0) : owner)
                .param("anyStatus", status == null)
                .param("status", status == null ? "" : status.name())
                .param("anyText", text == null)
                .param("text", text == null ? "" : text)
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

    /** Up to {@code limit} job ids after {@code after}, in order: for walking every job a batch at a time. */
    public List<UUID> idsAfter(JobId after, int limit) {
        return jdbc.sql(IDS_AFTER).param("after", after.value()).param("limit", limit).query(UUID.class).list();
    }

    /** Replaces the definition if nobody changed it since {@code job.version()}; false on a conflict. */
    boolean updateDefinition(Job job, JobSpec spec, byte[] secrets, JobStatus status, Instant now) {
        int rows = definition(jdbc.sql(UPDATE_DEFINITION), spec, secrets, status, now)
                .param("id", job.id().value())
                .param("version", job.version())
                .update();
        if (rows > 1) {
            throw new IllegalStateException("Updated " + rows + " rows for job " + job.id());
        }
        return rows == 1;
    }

    /** Stops the active ones among these jobs; returns those it stopped. */
    List<UUID> stop(List<UUID> ids, Instant now) {
        return jdbc.sql(STOP).param("ids", ids.toArray(UUID[]::new)).param("now", ts(now)).query(UUID.class).list();
    }

    /** Adds (or, negative, removes) bytes of stored bodies to each job's count. */
    public void addStored(Map<UUID, Long> bytesByJob) {
        if (bytesByJob.isEmpty()) {
            return;
        }
        List<Map.Entry<UUID, Long>> entries = List.copyOf(bytesByJob.entrySet());
        jdbc.sql(ADD_STORED)
                .param("ids", entries.stream().map(Map.Entry::getKey).toArray(UUID[]::new))
                .param("bytes", entries.stream().mapToLong(Map.Entry::getValue).toArray())
                .update();
    }

    private JdbcClient.StatementSpec definition(JdbcClient.StatementSpec statement, JobSpec spec, byte[] secrets,
                                                JobStatus status, Instant now) {
        byte[] definition = json.writeValueAsBytes(spec);
        return statement
                .param("spec", new String(definition, StandardCharsets.UTF_8))
                .param("specBytes", definition.length)
                .param("secrets", secrets)
                .param("status", status.name())
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
                rs.getLong("version"),
                instant(rs, "created_at"),
                instant(rs, "updated_at"),
                rs.getBoolean("stale"));
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp ts = rs.getTimestamp(column);
        return ts == null ? null : ts.toInstant();
    }

    static Timestamp ts(Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }
}
