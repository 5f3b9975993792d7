package io.pollster.job;

import java.time.Instant;
import java.util.UUID;

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
        Job.Stats stats,
        Instant createdAt,
        Instant updatedAt) {

    static JobView of(Job job) {
        return new JobView(job.id().value(), job.ownerId(), job.spec(), job.status().name().toLowerCase(),
                job.effectiveInterval() == null ? null : job.effectiveInterval().toString(),
                job.nextRunAt(), job.lastRunAt(), job.lastOutcome(), job.stats(), job.createdAt(), job.updatedAt());
    }
}
