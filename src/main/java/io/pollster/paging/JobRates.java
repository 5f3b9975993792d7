package io.pollster.paging;

import java.time.Duration;
import java.util.UUID;

import io.pollster.job.JobSpec;
import org.springframework.stereotype.Component;

/** A job's {@code rateLimit}, shared by its polls, pages and detail fetches on every node. */
@Component
public class JobRates {

    private final RequestSpacing spacing;

    JobRates(RequestSpacing spacing) {
        this.spacing = spacing;
    }

    /** Takes the job's next request slot: zero when the request may go now, else how long until it may. */
    public Duration take(UUID jobId, JobSpec.RateLimit limit) {
        return spacing.take(key(jobId), limit.perDuration().dividedBy(limit.limit()));
    }

    static String key(UUID jobId) {
        return "job:" + jobId;
    }
}
