package io.pollster.poll;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import io.pollster.schedule.Scheduler;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Counts due times the scheduler skipped (the job's previous poll was still running) on the jobs'
 * open poll-history entries. The scheduler only hands the ids over: a writer of its own adds them
 * up and writes them a few times a second, one statement for all, so that the scheduler never
 * waits for the poll-state rows that polls hold. History only: a failed write is logged and tried again with
 * the next; what is not yet written when the process dies is lost.
 */
@Component
class SkippedFires extends LoopService {

    private static final Duration FLUSH_EVERY = Duration.ofMillis(200);

    private final PollHistory recorder;
    private final TransactionTemplate tx;
    /** Guarded by this. */
    private Map<UUID, Integer> pending = new HashMap<>();

    /** Stops after the scheduler, writing what it handed over last. */
    SkippedFires(PollHistory recorder, TransactionTemplate tx, Loops loops) {
        super(loops, "skipped-fires", Duration.ofSeconds(1), ShutdownPhase.WRITING, Duration.ofSeconds(5));
        this.recorder = recorder;
        this.tx = tx;
    }

    @Override
    protected Duration runOnce() {
        flush();
        return FLUSH_EVERY;
    }

    @EventListener
    synchronized void record(Scheduler.FiresSkipped skipped) {
        skipped.jobIds().forEach(id -> pending.merge(id, 1, Integer::sum));
    }

    private void flush() {
        Map<UUID, Integer> batch;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = pending;
            pending = new HashMap<>();
        }
        try {
            tx.executeWithoutResult(status -> recorder.skipped(batch));
        } catch (RuntimeException e) {
            synchronized (this) {
                batch.forEach((id, n) -> pending.merge(id, n, Integer::sum));
            }
            throw e;
        }
    }

    @Override
    protected void afterStop(boolean finished) {
        if (finished) {
            flush();
        }
    }
}
