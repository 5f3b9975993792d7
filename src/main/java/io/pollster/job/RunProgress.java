package io.pollster.job;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** How far a paginated job's current (or latest) run has got, shown on the job. Implemented by the module that runs pages. */
public interface RunProgress {

    /** @param total the run's pages when known (from a total, or once a sequential run ended), else null */
    record Run(UUID id, String status, Instant startedAt, Instant finishedAt, Integer total, int planned, int done,
               int failed) {
    }

    Optional<Run> current(UUID jobId);
}
