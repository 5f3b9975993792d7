package io.pollster.paging;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.pollster.job.JobId;
import io.pollster.job.JobRepository;
import io.pollster.job.JobService;
import org.springframework.stereotype.Component;

/**
 * The definitions of jobs whose pages are being fetched, read once per few seconds per job rather
 * than per page: a run's thousand pages cost a few reads of the job, and an edit reaches its pages
 * within {@link #FRESH}.
 */
@Component
class RunTargets {

    static final Duration FRESH = Duration.ofSeconds(2);

    private final JobRepository jobs;
    private final JobService jobService;
    private final Cache<UUID, Optional<RunTarget>> targets = Caffeine.newBuilder()
            .maximumSize(1_000)
            .expireAfterWrite(FRESH)
            .build();

    RunTargets(JobRepository jobs, JobService jobService) {
        this.jobs = jobs;
        this.jobService = jobService;
    }

    /**
     * @throws io.pollster.system.secret.UnreadableSecretException when its secret headers do not open
     */
    Optional<RunTarget> of(UUID jobId) {
        Optional<RunTarget> cached = targets.getIfPresent(jobId);
        if (cached != null) {
            return cached;
        }
        Optional<RunTarget> target = jobs.find(new JobId(jobId)).map(job -> RunTarget.of(job, jobService.openSecrets(job)));
        targets.put(jobId, target);
        return target;
    }
}
