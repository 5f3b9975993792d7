package io.pollster.poll;

import java.util.Optional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.pollster.job.JobId;
import io.pollster.job.JobRepository;
import io.pollster.job.JobService;
import org.springframework.stereotype.Component;

/**
 * The poll targets of recently polled jobs, each valid for one definition version: a poll reads
 * only the job's narrow state and rebuilds the target when the version has moved (an edit, a
 * restart of the job). Bounded by bytes, not by count — a job may carry a 1 MiB request body and
 * large headers — so any number of jobs costs a bounded heap; the least recently used go.
 * Opened secret headers live here as long as their target: they are in memory for every poll anyway.
 */
@Component
class PollTargets {

    /** Thousands of ordinary targets (about 2 KB each), or a few dozen with the largest bodies and headers. */
    static final long MAX_BYTES = 32L * 1024 * 1024;

    private final JobRepository jobs;
    private final JobService jobService;
    private final Cache<JobId, PollTarget> targets = Caffeine.newBuilder()
            .maximumWeight(MAX_BYTES)
            .weigher((JobId id, PollTarget target) -> target.weight())
            .build();

    PollTargets(JobRepository jobs, JobService jobService) {
        this.jobs = jobs;
        this.jobService = jobService;
    }

    /**
     * The target at {@code version}, or empty when the job is gone.
     *
     * @throws io.pollster.system.secret.UnreadableSecretException when the job's secret headers do
     *         not open: nothing is cached, so the next poll after a repair reads them again
     */
    Optional<PollTarget> at(JobId id, long version) {
        PollTarget cached = targets.getIfPresent(id);
        if (cached != null && cached.version() == version) {
            return Optional.of(cached);
        }
        return jobs.find(id).map(job -> {
            PollTarget target = PollTarget.of(job, jobService.openSecrets(job));
            targets.put(id, target);
            return target;
        });
    }
}
