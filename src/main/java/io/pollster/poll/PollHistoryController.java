package io.pollster.poll;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.job.JobService;
import io.pollster.system.web.ApiException;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import io.pollster.user.Caller;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /jobs/{id}/polls}: the open entry (in the job row) first, then closed ones, newest first. */
@RestController
@RequestMapping("/api/v1/jobs/{jobId}/polls")
class PollHistoryController {

    /**
     * The open entry (kept in the job row, ranked above every closed one and below the first page's bound) and the closed entries
     * in one statement, so one snapshot: a poll landing meanwhile cannot show up twice.
     */
    private static final String PAGE = """
            SELECT rank, started_at, last_at, count, duration_ms, http_status, outcome, attempts, version_id, error, skipped
            FROM (
                SELECT 9223372036854775806 AS rank, fold_started_at AS started_at, fold_last_at AS last_at,
                       fold_count AS count, fold_duration_ms AS duration_ms, fold_http_status AS http_status,
                       fold_outcome AS outcome, fold_attempts AS attempts, fold_version_id AS version_id,
                       fold_error AS error, fold_skipped AS skipped
                FROM jobs
                WHERE id = :jobId
                  AND fold_count > 0
                UNION ALL
                SELECT id, started_at, last_at, count, duration_ms, http_status, outcome, attempts, version_id, error, skipped
                FROM polls
                WHERE job_id = :jobId) entries
            WHERE rank < :before
            ORDER BY rank DESC
            LIMIT :limit
            """;

    private final JobService jobs;
    private final JdbcClient jdbc;

    PollHistoryController(JobService jobs, JdbcClient jdbc) {
        this.jobs = jobs;
        this.jdbc = jdbc;
    }

    @GetMapping
    Page<PollView> list(Caller caller, @PathVariable UUID jobId, @RequestParam(required = false) Integer limit,
                        @RequestParam(required = false) String cursor) {
        jobs.get(caller, new JobId(jobId));
        PageQuery page = PageQuery.of(limit, cursor);
        long before;
        try {
            before = page.after() == null ? Long.MAX_VALUE : Long.parseLong(page.after());
        } catch (NumberFormatException e) {
            throw ApiException.invalid("cursor", "is not a cursor this list returned");
        }
        List<Ranked> rows = jdbc.sql(PAGE).param("jobId", jobId).param("before", before).param("limit", page.fetchSize())
                .query((rs, n) -> new Ranked(rs.getLong("rank"), map(rs, n))).list();
        return Page.of(rows, page, r -> Long.toString(r.rank())).map(Ranked::view);
    }

    private record Ranked(long rank, PollView view) {
    }

    private static PollView map(ResultSet rs, int row) throws SQLException {
        Integer status = rs.getObject("http_status") == null ? null : rs.getInt("http_status");
        return new PollView(rs.getTimestamp("started_at").toInstant(), rs.getLong("duration_ms"), status,
                rs.getString("outcome"), rs.getInt("attempts"), rs.getObject("version_id", UUID.class),
                rs.getString("error"), rs.getInt("count"), rs.getTimestamp("last_at").toInstant(), rs.getInt("skipped"));
    }

    /**
     * @param skipped due times that made no poll because a poll of the job was still running when they
     *                came, counted on the entry that was open then (the last one before that poll's)
     */
    record PollView(Instant startedAt, long durationMs, Integer httpStatus, String outcome, int attempts,
                    UUID versionId, String error, int count, Instant lastAt, int skipped) {
    }

}
