package io.pollster.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.pollster.job.JobId;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Records the outcomes of unchanged and not-modified polls in batches: whatever arrives within a
 * couple of milliseconds goes out as one statement and one commit, instead of a round trip and a
 * WAL flush per poll. A poll's task is acknowledged only after its batch committed (the caller
 * waits), so a crash loses no outcome it has acknowledged. Most polls are quiet, so this is the
 * poll path's write.
 */
@Component
class QuietPolls extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(QuietPolls.class);
    private static final int MAX_BATCH = 500;
    /** Long enough to gather the polls finishing together, short against a poll's own duration. */
    private static final Duration GATHER = Duration.ofMillis(2);
    private static final Duration FIRST_WAIT = Duration.ofMillis(100);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final PollHistory recorder;
    private final TransactionTemplate tx;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /** Polls held over to the next statement (a second poll of a job in one batch); the writer's own. */
    private final List<Pending> carried = new ArrayList<>();
    private volatile boolean accepting;

    /** Stops after the poller (its handlers wait on this), writing what is left. */
    QuietPolls(PollHistory recorder, TransactionTemplate tx, Loops loops) {
        super(loops, "quiet-polls", Duration.ofMillis(100), ShutdownPhase.WRITING, Duration.ofSeconds(10));
        this.recorder = recorder;
        this.tx = tx;
    }

    @Override
    protected Duration runOnce() throws InterruptedException {
        writeRound(FIRST_WAIT);
        return Duration.ZERO;
    }

    private record Pending(PollRecord poll, CompletableFuture<Void> recorded) {
    }

    /** Returns once the poll's outcome is committed; throws if it could not be. */
    void record(PollRecord poll) {
        if (!accepting) {
            tx.executeWithoutResult(status -> recorder.record(poll));
            return;
        }
        Pending pending = new Pending(poll, new CompletableFuture<>());
        queue.add(pending);
        if (!accepting && queue.remove(pending)) {
            // stopped meanwhile and the writer may be gone: nobody else will write it
            tx.executeWithoutResult(status -> recorder.record(poll));
            return;
        }
        try {
            pending.recorded.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the poll's outcome was being recorded", e);
        } catch (ExecutionException | TimeoutException e) {
            // not acknowledged: the poll task is retried
            throw new IllegalStateException("the poll's outcome could not be recorded: " + e, e);
        }
    }

    /** One statement's worth: what was carried over, or what arrives within {@link #GATHER} of a first poll. */
    private void writeRound(Duration firstWait) throws InterruptedException {
        List<Pending> candidates = new ArrayList<>(carried);
        carried.clear();
        if (candidates.isEmpty() && !gather(candidates, firstWait)) {
            return;
        }
        queue.drainTo(candidates, Math.max(0, MAX_BATCH - candidates.size()));
        // one poll per job in a statement; a second poll of a job goes in the next one
        List<Pending> batch = new ArrayList<>();
        Set<JobId> jobs = new HashSet<>();
        for (Pending candidate : candidates) {
            (batch.size() < MAX_BATCH && jobs.add(candidate.poll().jobId()) ? batch : carried).add(candidate);
        }
        write(batch);
    }

    /** Waits for a first poll, then gathers what comes within {@link #GATHER}; false when nothing came. */
    private boolean gather(List<Pending> into, Duration firstWait) throws InterruptedException {
        Pending first = queue.poll(firstWait.toMillis(), TimeUnit.MILLISECONDS);
        if (first == null) {
            return false;
        }
        into.add(first);
        long deadline = System.nanoTime() + GATHER.toNanos();
        while (into.size() < MAX_BATCH) {
            Pending more = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (more == null) {
                return true;
            }
            into.add(more);
        }
        return true;
    }

    private void write(List<Pending> batch) {
        try {
            tx.executeWithoutResult(status -> recorder.recordAll(batch.stream().map(Pending::poll).toList()));
            batch.forEach(p -> p.recorded.complete(null));
        } catch (RuntimeException e) {
            // one by one, so one poll's problem fails only that poll
            log.warn("Recording {} polls together failed; recording them one by one: {}", batch.size(), e.toString());
            for (Pending pending : batch) {
                try {
                    tx.executeWithoutResult(status -> recorder.record(pending.poll()));
                    pending.recorded.complete(null);
                } catch (RuntimeException one) {
                    pending.recorded.completeExceptionally(one);
                }
            }
        }
    }

    @Override
    protected void afterStart() {
        accepting = true;
    }

    @Override
    protected void afterStop(boolean finished) {
        accepting = false;
        if (!finished) {
            return; // its round still runs and writes what it holds; the rest is retried from the queue
        }
        try {
            while (!queue.isEmpty() || !carried.isEmpty()) {
                writeRound(Duration.ZERO);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
