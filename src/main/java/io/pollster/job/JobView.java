package io.pollster.job;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/** A job as the API answers it: its definition plus what Pollster knows about it. */
record JobView(
        UUID id,
        UUID owner,
        @JsonUnwrapped JobSpec spec,
        String status,
        String effectiveInterval,
        Instant nextRunAt,
        Instant lastRunAt,
        String lastOutcome,
        boolean stale,
        Job.Stats stats,
        Instant createdAt,
        Instant updatedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<OutputStates.Stopped> stoppedOutputs,
        @JsonInclude(JsonInclude.Include.NON_NULL) RunProgress.Run run) {

    /** A job in a list: without the state of its outputs or its run. */
    static JobView of(Job job) {
        return of(job, null, null);
    }

    /**
     * @param stoppedOutputs the outputs its receivers stopped (410 Gone), shown when one job is
     *                       answered; null in lists
     * @param run            a paginated job's current or latest run, shown when one job is answered
     */
    static JobView of(Job job, List<OutputStates.Stopped> stoppedOutputs, RunProgress.Run run) {
        return new JobView(job.id().value(), job.ownerId(), job.spec(), job.status().name().toLowerCase(),
                job.effectiveInterval() == null ? null : job.effectiveInterval().toString(),
                job.nextRunAt(), job.lastRunAt(), job.lastOutcome(), job.stale(), job.stats(), job.createdAt(), job.updatedAt(), stoppedOutputs,
                run);
    }
}
