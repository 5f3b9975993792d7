package io.pollster.poll;

import io.pollster.schedule.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Writes due times the scheduler skipped (the job's previous poll was still running) into the
 * jobs' poll history, where they fold like any repeated outcome. History only: a failure here
 * is logged and the scheduler goes on.
 */
@Component
class SkippedFires {

    private static final Logger log = LoggerFactory.getLogger(SkippedFires.class);

    private final PollRecorder recorder;
    private final TransactionTemplate tx;

    SkippedFires(PollRecorder recorder, TransactionTemplate tx) {
        this.recorder = recorder;
        this.tx = tx;
    }

    @EventListener
    void record(Scheduler.FiresSkipped skipped) {
        try {
            tx.executeWithoutResult(status -> recorder.recordAll(skipped.jobIds().stream()
                    .map(id -> PollRecorder.Poll.skipped(id, skipped.at()))
                    .toList()));
        } catch (RuntimeException e) {
            log.warn("Could not write {} skipped due times into the poll history: {}", skipped.jobIds().size(), e.toString());
        }
    }
}
