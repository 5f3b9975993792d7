package io.pollster.paging;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.pollster.job.JobSpec;
import io.pollster.system.Ids;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Turns a paginated job's fire into a run: the run and its first page's task, in one transaction.
 * The fire stays open until the run ends ({@link RunEnded}), so the scheduler counts the due
 * times that pass meanwhile as skipped instead of starting a second run. A fire that comes while a
 * run is going anyway (the scheduler takes a fire open longer than its lease as lost) joins the
 * run: the run's end closes it, and no second run starts.
 */
@Component
public class RunStarter {

    private static final Logger log = LoggerFactory.getLogger(RunStarter.class);

    private final Runs runs;
    private final Transport transport;
    private final TransactionTemplate tx;
    private final Clock clock;

    RunStarter(Runs runs, Transport transport, TransactionTemplate tx, Clock clock) {
        this.runs = runs;
        this.transport = transport;
        this.tx = tx;
        this.clock = clock;
    }

    /** What a fire did. */
    public enum Start {
        /** A new run. */
        STARTED,
        /** A later fire joined the run going: a skipped due time. */
        JOINED,
        /** The fire's run was started already (its task delivered twice), or is over. */
        ALREADY
    }

    public Start start(UUID jobId, UUID ownerId, Instant fireAt, JobSpec.Pagination pagination) {
        UUID runId = Ids.next();
        Start start = tx.execute(status -> {
            if (runs.start(runId, jobId, ownerId, fireAt, clock.instant(), pagination)) {
                transport.enqueue(PageTask.QUEUE, List.of(PageTask.first(runId, jobId, 1).encode()));
                return Start.STARTED;
            }
            return runs.join(jobId, fireAt) ? Start.JOINED : Start.ALREADY;
        });
        if (start == Start.STARTED) {
            log.debug("Run {} of job {} started", runId, jobId);
        }
        return start;
    }
}
