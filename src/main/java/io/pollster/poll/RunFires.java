package io.pollster.poll;

import io.pollster.paging.RunEnded;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * A paginated run's end closes the fire that started it, as one poll in the job's history, in the
 * run's last transaction: from then on the scheduler fires the job again on schedule.
 */
@Component
class RunFires {

    private final PollHistory history;

    RunFires(PollHistory history) {
        this.history = history;
    }

    @EventListener
    void ended(RunEnded run) {
        if (run.fireAt() != null) {
            history.record(PollRecord.run(run));
        }
    }
}
