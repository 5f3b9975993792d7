package io.pollster.paging;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Logs a run's progress — pages done of planned, and the rate since the last line — at most every {@link #EVERY}. */
@Component
class RunProgressLog {

    static final Duration EVERY = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(RunProgressLog.class);

    private record Mark(long nanos, int done) {
    }

    /** Runs this node has settled pages of lately; a run leaves when it ends here or goes quiet. */
    private final Map<UUID, Mark> marks = new ConcurrentHashMap<>();

    void page(RunState run) {
        long now = System.nanoTime();
        Mark mark = marks.get(run.id);
        if (mark == null) {
            if (marks.size() > 10_000) {
                marks.clear(); // runs that ended on other nodes; losing a few rate figures costs nothing
            }
            marks.put(run.id, new Mark(now, run.done));
            return;
        }
        if (now - mark.nanos() < EVERY.toNanos()) {
            return;
        }
        if (marks.replace(run.id, mark, new Mark(now, run.done))) {
            double rate = (run.done - mark.done()) / ((now - mark.nanos()) / 1e9);
            log.info("Run {} of job {}: {} of {} pages done{}, {} failed, {} pages/s", run.id, run.jobId, run.done,
                    run.planned, run.total == null ? " so far" : "", run.failed, String.format("%.1f", rate));
        }
    }

    void finished(RunState run) {
        marks.remove(run.id);
        log.info("Run {} of job {} {}: {} pages done, {} failed, {} items new, {} changed", run.id, run.jobId, run.status,
                run.done, run.failed, run.itemsCreated, run.itemsChanged);
    }
}
