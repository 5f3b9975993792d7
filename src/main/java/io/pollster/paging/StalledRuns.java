package io.pollster.paging;

import java.time.Duration;
import java.util.UUID;

import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The safety net under runs: a page task lives on a durable queue and comes back when its poller
 * dies, but a queue purged by hand or a broker that lost a message would leave its run running
 * for ever, and with it every later fire of its job skipped. A run that no page has moved for
 * {@code pollster.pages.stall-after} (default 15m) gets its pages in flight queued again. It also
 * forgets request spacings long past.
 */
@Component
class StalledRuns extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(StalledRuns.class);
    private static final Duration EVERY = Duration.ofMinutes(1);

    private final Runs runs;
    private final PageRecorder recorder;
    private final RequestSpacing spacing;
    private final Roles roles;
    private final Duration stallAfter;

    StalledRuns(Runs runs, PageRecorder recorder, RequestSpacing spacing, Roles roles, Loops loops,
                PagingProperties properties) {
        super(loops, "stalled-runs", EVERY, ShutdownPhase.UPKEEP, Duration.ofSeconds(5));
        this.runs = runs;
        this.recorder = recorder;
        this.spacing = spacing;
        this.roles = roles;
        this.stallAfter = properties.stallAfter();
    }

    @Override
    protected Duration runOnce() {
        for (UUID runId : runs.stalled(stallAfter, 100)) {
            int queued = recorder.resume(runId, stallAfter);
            if (queued > 0) {
                log.warn("Run {} made no progress for {}: queued its {} pages in flight again", runId, stallAfter, queued);
            }
        }
        spacing.forgetPast();
        return stallAfter.compareTo(EVERY) < 0 ? stallAfter : EVERY;
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.POLLER);
    }
}
