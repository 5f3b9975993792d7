package io.pollster.version;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class VersionRepository {

    /** Once per job and hash: a body seen before (the content went back to an earlier state) is reused. */
    private static final String INSERT_BODY = """
            INSERT INTO bodies (job_id, hash, content, size)
            VALUES (:jobId, :hash, :content, :size)
            ON CONFLICT (job_id, hash) DO NOTHING
            """;

    /**
     * Versions of the jobs given beyond the newest {@code :keep}, or older than {@code :cutoff},
     * but never a job's newest; each job read by its index.
     */
    private static final String PRUNE = """
            DELETE FROM versions
            WHERE id IN (SELECT old.id
                         FROM unnest(CAST(:ids AS UUID[])) AS j(id)
                         CROSS JOIN LATERAL (SELECT id, fetched_at, row_number() OVER (ORDER BY id DESC) AS rank
                                             FROM versions
                                             WHERE job_id = j.id) old
                         WHERE old.rank > 1
                           AND (old.rank > :keep OR old.fetched_at < :cutoff))
            """;

    /**
     * Bodies of the jobs given that no version uses any more — but never one of a job that is
     * storing a version right now (its poll state is locked: skipped, tried next pass) nor the
     * job's latest, which a version being stored may have just reused; the share lock keeps a new
     * store of that job waiting until this commits.
     */
    private static final String PRUNE_BODIES = """
            WITH settled AS (
                SELECT job_id, latest_hash
                FROM job_polls
                WHERE job_id = ANY(:ids)
                FOR SHARE SKIP LOCKED
            )
            DELETE FROM bodies b
            USING settled p
            WHERE b.job_id = p.job_id
              AND b.hash IS DISTINCT FROM p.latest_hash
              AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.job_id = b.job_id AND v.hash = b.hash)
            RETURNING b.job_id, b.size
            """;

    private static final String INSERT_VERSION = """
            INSERT INTO versions (id, job_id, hash, fetched_at, http_status, content_type, size)
            VALUES (:id, :jobId, :hash, :fetchedAt, :httpStatus, :contentType, :size)
            """;

    private static final String FIND_PAGE = """
            SELECT id, job_id, hash, fetched_at, http_status, content_type, size
            FROM versions
            WHERE job_id = :jobId
              AND id < :before
            ORDER BY id DESC
            LIMIT :limit
            """;

    private static final String FIND = """
            SELECT id, job_id, hash, fetched_at, http_status, content_type, size
            FROM versions
            WHERE job_id = :jobId
              AND id = :id
            """;

    private static final String FIND_PREVIOUS = """
            SELECT id, job_id, hash, fetched_at, http_status, content_type, size
            FROM versions
            WHERE job_id = :jobId
              AND id < :id
            ORDER BY id DESC
            LIMIT 1
            """;

    private static final String FIND_LATEST = """
            SELECT id, job_id, hash, fetched_at, http_status, content_type, size
            FROM versions
            WHERE job_id = :jobId
            ORDER BY id DESC
            LIMIT 1
            """;

    private static final String BODY = """
            SELECT content
            FROM bodies
            WHERE job_id = :jobId
              AND hash = :hash
            """;

    private final JdbcClient jdbc;

    VersionRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Stores a version of the job, and its body unless the job has it already. The caller has
     * moved the job's latest hash to this one in the same transaction, so a change is stored once
     * however many polls saw it.
     *
     * @return whether the body was new to the job (its bytes now count against its owner's quota)
     */
    public boolean insert(UUID versionId, UUID jobId, byte[] hash, byte[] storedBody, long size, Instant fetchedAt,
                          int httpStatus, String contentType) {
        int newBody = jdbc.sql(INSERT_BODY).param("jobId", jobId).param("hash", hash).param("content", storedBody)
                .param("size", size).update();
        jdbc.sql(INSERT_VERSION)
                .param("id", versionId)
                .param("jobId", jobId)
                .param("hash", hash)
                .param("fetchedAt", Timestamp.from(fetchedAt))
                .param("httpStatus", httpStatus)
                .param("contentType", contentType)
                .param("size", size)
                .update();
        return newBody == 1;
    }

    /** Prunes the versions of these jobs beyond the newest {@code keep} or older than {@code cutoff}; returns how many. */
    public int prune(List<UUID> jobIds, int keep, Instant cutoff) {
        return jobIds.isEmpty() ? 0 : jdbc.sql(PRUNE)
                .param("ids", jobIds.toArray(UUID[]::new))
                .param("keep", keep)
                .param("cutoff", Timestamp.from(cutoff))
                .update();
    }

    /** Bodies deleted, and their bytes per job. */
    public record FreedBodies(int bodies, Map<UUID, Long> bytesByJob) {
    }

    /** Deletes the bodies of these jobs that no version uses any more. */
    public FreedBodies pruneBodies(List<UUID> jobIds) {
        Map<UUID, Long> freed = new HashMap<>();
        int[] bodies = {0};
        if (!jobIds.isEmpty()) {
            jdbc.sql(PRUNE_BODIES).param("ids", jobIds.toArray(UUID[]::new)).query((ResultSet rs) -> {
                bodies[0]++;
                freed.merge(rs.getObject("job_id", UUID.class), rs.getLong("size"), Long::sum);
            });
        }
        return new FreedBodies(bodies[0], freed);
    }

    List<Version> findPage(UUID jobId, UUID before, int limit) {
        return jdbc.sql(FIND_PAGE).param("jobId", jobId).param("before", before).param("limit", limit)
                .query(VersionRepository::map).list();
    }

    Optional<Version> find(UUID jobId, UUID id) {
        return jdbc.sql(FIND).param("jobId", jobId).param("id", id).query(VersionRepository::map).optional();
    }

    Optional<Version> findPrevious(UUID jobId, UUID id) {
        return jdbc.sql(FIND_PREVIOUS).param("jobId", jobId).param("id", id).query(VersionRepository::map).optional();
    }

    Optional<Version> findLatest(UUID jobId) {
        return jdbc.sql(FIND_LATEST).param("jobId", jobId).query(VersionRepository::map).optional();
    }

    Optional<byte[]> body(UUID jobId, byte[] hash) {
        return jdbc.sql(BODY).param("jobId", jobId).param("hash", hash).query((rs, n) -> rs.getBytes(1)).optional();
    }

    private static Version map(ResultSet rs, int row) throws SQLException {
        return new Version(rs.getObject("id", UUID.class), rs.getObject("job_id", UUID.class), rs.getBytes("hash"),
                rs.getTimestamp("fetched_at").toInstant(), rs.getInt("http_status"), rs.getString("content_type"),
                rs.getLong("size"));
    }
}
