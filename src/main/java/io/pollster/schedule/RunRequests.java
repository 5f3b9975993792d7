package io.pollster.schedule;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * "Poll this job now" ({@code POST /jobs/{id}/run}, a replayed poll): a flag on the job's schedule
 * that the scheduler turns into one fire as soon as no poll of the job is in flight. Requests
 * coalesce: a thousand of them while a poll runs cost one more poll, not a thousand.
 */
@Repository
public class RunRequests {

    /** LEAST ignores NULL: a stopped job (no next run) becomes due now too. */
    private static final String REQUEST = """
            UPDATE job_schedules
            SET run_requested = true,
                next_run_at = LEAST(next_run_at, :now)
            WHERE job_id = :id
            """;

    private final JdbcClient jdbc;
    private final Clock clock;

    RunRequests(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Returns false when the job does not exist. */
    public boolean request(UUID jobId) {
        return jdbc.sql(REQUEST).param("id", jobId).param("now", Timestamp.from(clock.instant())).update() == 1;
    }
}
