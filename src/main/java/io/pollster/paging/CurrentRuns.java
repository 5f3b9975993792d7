package io.pollster.paging;

import java.util.Optional;
import java.util.UUID;

import io.pollster.job.RunProgress;
import org.springframework.stereotype.Component;

/** The job view's run: the one running, else the latest. */
@Component
class CurrentRuns implements RunProgress {

    private final Runs runs;

    CurrentRuns(Runs runs) {
        this.runs = runs;
    }

    @Override
    public Optional<Run> current(UUID jobId) {
        return runs.current(jobId).map(r -> new Run(r.id, r.status, r.startedAt, r.finishedAt, r.total, r.planned, r.done,
                r.failed));
    }
}
