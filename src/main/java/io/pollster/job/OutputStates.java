package io.pollster.job;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Which of a job's outputs their receivers stopped (410 Gone), shown on the job. Implemented by the module that delivers events. */
public interface OutputStates {

    /** @param output the output's position in the job's outputs */
    record Stopped(int output, Instant stoppedAt, String reason) {
    }

    List<Stopped> stopped(UUID jobId);
}
