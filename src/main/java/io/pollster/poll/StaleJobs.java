package io.pollster.poll;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.pollster.output.EventLog;
import io.pollster.output.EventType;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reports {@code job.stale}: an active job with {@code expectChangeWithin} whose last change (its
 * newest version, or its creation when it has none) is older than that. Once per quiet spell: the
 * report is marked on the job's poll state in the event's transaction, and only a change after it
 * starts a new spell. Runs on the nodes that schedule, every {@code pollster.stale.check-interval};
 * two of them never report one spell twice (the mark is taken by one).
 */
@Component
class StaleJobs extends LoopService {

    private static final int BATCH = 500;

    private final PollHistory history;
    private final TransactionTemplate tx;
    private final EventLog events;
    private final JsonMapper json;
    private final Clock clock;
    private final Roles roles;
    private final Duration interval;

    StaleJobs(PollHistory history, TransactionTemplate tx, EventLog events, JsonMapper json, Clock clock, Roles roles, Loops loops,
              @Value("${pollster.stale.check-interval:30s}") Duration interval) {
        super(loops, "stale-jobs", interval, ShutdownPhase.UPKEEP, Duration.ofSeconds(10));
        this.history = history;
        this.tx = tx;
        this.events = events;
        this.json = json;
        this.clock = clock;
        this.roles = roles;
        this.interval = interval;
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.SCHEDULER);
    }

    @Override
    protected Duration runOnce() {
        Instant now = clock.instant();
        List<PollHistory.Quiet> quiet = history.quietPastExpectation(now, BATCH);
        for (PollHistory.Quiet job : quiet) {
            tx.executeWithoutResult(status -> {
                if (history.markStale(job, now)) {
                    ObjectNode data = json.createObjectNode();
                    data.put("expectChangeWithin", job.expect());
                    data.put("lastChangeAt", job.changedAt().toString());
                    data.put("latestVersionId", job.versionId() == null ? null : job.versionId().toString());
                    events.append(job.jobId(), EventType.JOB_STALE, now, data);
                }
            });
        }
        return quiet.size() == BATCH ? Duration.ZERO : interval;
    }
}
