package io.pollster.version;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.pollster.system.Ids;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

@Repository
public class VersionRepository {

    /** Moves the job to the new hash only if nobody else did first (a redelivered or concurrent poll). */
    private static final String ADVANCE_LATEST = """
            UPDATE jobs
            SET latest_hash = :hash, latest_version_id = :versionId
            WHERE id = :jobId
              AND latest_hash IS NOT DISTINCT FROM CAST(:previous AS BYTEA)
            """;

    /** A body new to the job counts against its owner's quota, in the job row this poll holds already. */
    private static final String INSERT_BODY = """
            WITH added AS (
                INSERT INTO bodies (job_id, hash, content, size)
                VALUES (:jobId, :hash, :content, :size)
                ON CONFLICT (job_id, hash) DO NOTHING
                RETURNING size
            )
            UPDATE jobs
            SET stored_bytes = stored_bytes + added.size
            FROM added
            WHERE jobs.id = :jobId
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
     * Records a new version unless the job's latest hash moved since {@code previousHash} was
     * read; the body is stored once per job and hash.
     *
     * @return the new version's id, or empty when another poll got there first
     */
    @Transactional
    public Optional<UUID> store(UUID jobId, byte[] previousHash, byte[] hash, byte[] storedBody, long size,
                                  Instant fetchedAt, int httpStatus, String contentType) {
        UUID versionId = Ids.next();
        int moved = jdbc.sql(ADVANCE_LATEST)
                .param("jobId", jobId)
                .param("hash", hash)
                .param("versionId", versionId)
                .param("previous", previousHash)
                .update();
        if (moved == 0) {
            return Optional.empty();
        }
        jdbc.sql(INSERT_BODY).param("jobId", jobId).param("hash", hash).param("content", storedBody).param("size", size).update();
        jdbc.sql(INSERT_VERSION)
                .param("id", versionId)
                .param("jobId", jobId)
                .param("hash", hash)
                .param("fetchedAt", Timestamp.from(fetchedAt))
                .param("httpStatus", httpStatus)
                .param("contentType", contentType)
                .param("size", size)
                .update();
        return Optional.of(versionId);
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
