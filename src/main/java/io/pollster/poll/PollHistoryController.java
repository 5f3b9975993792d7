package io.pollster.poll;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.job.JobService;
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

    private static final String OPEN = """
            SELECT fold_started_at AS started_at, fold_last_at AS last_at, fold_count AS count,
                   fold_duration_ms AS duration_ms, fold_http_status AS http_status, fold_outcome AS outcome,
                   fold_attempts AS attempts, fold_version_id AS version_id, fold_error AS error
            FROM jobs
            WHERE id = :jobId
              AND fold_count > 0
            """;

    private static final String CLOSED = """
            SELECT started_at, last_at, count, duration_ms, http_status, outcome, attempts, version_id, error
            FROM polls
            WHERE job_id = :jobId
            ORDER BY id DESC
            LIMIT :limit
            """;

    private final JobService jobs;
    private final JdbcClient jdbc;
    private final int history;

    PollHistoryController(JobService jobs, JdbcClient jdbc, PollProperties properties) {
        this.jobs = jobs;
        this.jdbc = jdbc;
        this.history = properties.pollHistory();
    }

    @GetMapping
    PollsView list(Caller caller, @PathVariable UUID jobId, @RequestParam(required = false) Integer limit) {
        jobs.get(caller, new JobId(jobId));
        int max = Math.min(PageQuery.of(limit, null).limit(), history);
        List<PollView> items = new ArrayList<>(jdbc.sql(OPEN).param("jobId", jobId).query(PollHistoryController::map).list());
        if (items.size() < max) {
            items.addAll(jdbc.sql(CLOSED).param("jobId", jobId).param("limit", max - items.size())
                    .query(PollHistoryController::map).list());
        }
        return new PollsView(items, null);
    }

    private static PollView map(ResultSet rs, int row) throws SQLException {
        Integer status = rs.getObject("http_status") == null ? null : rs.getInt("http_status");
        return new PollView(rs.getTimestamp("started_at").toInstant(), rs.getLong("duration_ms"), status,
                rs.getString("outcome"), rs.getInt("attempts"), rs.getObject("version_id", UUID.class),
                rs.getString("error"), rs.getInt("count"), rs.getTimestamp("last_at").toInstant());
    }

    record PollView(Instant startedAt, long durationMs, Integer httpStatus, String outcome, int attempts,
                    UUID versionId, String error, int count, Instant lastAt) {
    }

    record PollsView(List<PollView> items, String nextCursor) {
    }
}
