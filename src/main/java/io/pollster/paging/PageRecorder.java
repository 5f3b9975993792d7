package io.pollster.paging;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;

import io.pollster.job.JobSpec;
import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.DeadLetterType;
import io.pollster.transport.QueueProperties;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What a page's answer does to its run, in one transaction that locks the job's row (shared), the
 * page's, the items' and then the run's, in that order on every path: the
 * page done with its hash, its items written, the pages it plans (all of them from a total, or the
 * next one from a cursor), the next pages queued up to the run's parallelism, and the run's end.
 * A page already settled (a redelivered task) changes nothing. A page of more than one chunk of
 * items has the others written ahead, each in a short transaction of its own ({@link ItemChunks}).
 */
@Component
class PageRecorder {

    private static final Logger log = LoggerFactory.getLogger(PageRecorder.class);
    private static final String FOLLOW_CAP = "pollster.pages.max-follows-per-run";

    private final Runs runs;
    private final ItemStore items;
    private final ItemChunks chunks;
    private final ItemQuota quota;
    private final RunEvents events;
    private final Transport transport;
    private final DeadLetterSink deadLetters;
    private final ApplicationEventPublisher publisher;
    private final RunProgressLog progress;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final String queue;
    private final int maxItems;
    private final int maxFollows;

    PageRecorder(Runs runs, ItemStore items, ItemChunks chunks, ItemQuota quota, RunEvents events, Transport transport, DeadLetterSink deadLetters,
                 ApplicationEventPublisher publisher, RunProgressLog progress, TransactionTemplate tx, Clock clock,
                 QueueProperties queues, PagingProperties paging) {
        this.maxItems = paging.maxItemsPerPage();
        this.maxFollows = paging.maxFollowsPerRun();
        this.runs = runs;
        this.items = items;
        this.chunks = chunks;
        this.quota = quota;
        this.events = events;
        this.transport = transport;
        this.deadLetters = deadLetters;
        this.publisher = publisher;
        this.progress = progress;
        this.tx = tx;
        this.clock = clock;
        this.queue = queues.name(PageTask.QUEUE);
    }

    /** A fetched page, as the worker read it. */
    /** @param settings what the run walks with, as the task read it (null before auto detected it) */
    record Page(int status, URI url, PageDocument document, String links, byte[] hash, ItemSplitter.Split split,
                JobSpec.Pagination settings) {
    }

    void fetched(PageTask task, RunTarget target, Page page) {
        // a large page's items go first, a chunk per short transaction; this one writes the last chunk
        ItemChunks.Ahead ahead = page.split() == null ? null : chunks.writeAhead(task, target.ownerId(), page.split(), page.hash(),
                clock.instant());
        tx.executeWithoutResult(status -> {
            Runs.PageRow row = lockPage(task);
            if (row == null) {
                return;
            }
            if (row.state().equals("queued") && plannedPage(task, target, page)) {
                settlePlanned(task, row, page, ahead, target.ownerId());
                return;
            }
            if (!row.state().equals("queued") && !row.state().equals("failed")) {
                return; // done already (a task delivered twice), or never queued
            }
            Instant now = clock.instant();
            // items before the run's row, as planned pages write them: item rows, then the run's, for everyone
            Written written = writeItems(task, page, now, ahead);
            RunState run = runs.lock(task.runId()).orElse(null);
            if (run == null || !settles(run, row)) {
                quota.stored(task.jobId(), target.ownerId(), written.bytes()); // written all the same
                return;
            }
            boolean replay = row.state().equals("failed");
            Integer entries = page.split() != null ? (Integer) page.split().entries() : page.document().entries();
            if (page.split() != null) {
                run.noteOnce(ItemSplitter.Split.CAP_NOTE, page.split().capNote(task.number(), maxItems));
            }
            if (task.number() == 1 && !replay) {
                begin(run, target, page, entries);
            }
            run.changed += written.changed();
            if (written.changes() != null) {
                run.itemsCreated += written.changes().created().size();
                run.itemsChanged += written.changes().changed().size();
                if (run.running()) {
                    follow(run, target, written.changes()); // a replay after the run's end plans nothing more
                }
            }
            runs.pageDone(run.id, task.number(), Math.max(row.attempts(), task.attempt()), page.status(), page.hash(), now);
            run.done++;
            if (replay) {
                run.failed--;
            } else {
                run.queued--;
            }
            if (run.running() && run.error == null && !replay) {
                walk(run, task.number(), page, entries);
            }
            settle(run, now);
            quota.stored(run.jobId, run.ownerId, written.bytes());
        });
    }

    /** An item's detail fetched: it becomes the item's content, unless the item changed again since it was planned. */
    void followed(PageTask task, byte[] compressed, long size, String contentType, byte[] hash, int httpStatus) {
        tx.executeWithoutResult(status -> {
            Runs.PageRow row = lockPage(task);
            RunState run = row == null ? null : runs.lock(task.runId()).orElse(null);
            if (run == null || !settles(run, row) || !row.follow()) {
                return;
            }
            Instant now = clock.instant();
            long bytes = items.detail(run.jobId, row.itemKey(), row.hash(), compressed, contentType, size);
            runs.pageDone(run.id, task.number(), Math.max(row.attempts(), task.attempt()), httpStatus, hash, now);
            run.done++;
            if (row.state().equals("failed")) {
                run.failed--;
            } else {
                run.queued--;
            }
            settle(run, now);
            quota.stored(run.jobId, run.ownerId, bytes);
        });
    }

    /**
     * A page (or detail) whose items its owner has no room for: it fails, and its run with it,
     * saying why. No dead letter: a replay would meet the same quota.
     */
    void refused(PageTask task, int httpStatus, String error) {
        failPage(task, httpStatus, error, (run, now) -> run.error = error);
    }

    /**
     * The page failed for good: after its last attempt ({@code deadLetter} true: recorded here), or
     * given up by the transport (which records the dead letter itself). A run without its first
     * page fails; a sequential run ends at a failed page (nothing names the next one).
     */
    void failed(PageTask task, Integer httpStatus, String error, boolean deadLetter) {
        failPage(task, httpStatus, error, (run, now) -> {
            if (task.number() == 1 && run.done == 0) {
                run.error = "the first page failed: " + error;
            } else if (run.total == null) {
                run.total = run.planned;
                run.note("the walk stopped at page " + task.number() + ", which failed; the job's next run walks again");
            }
            if (deadLetter) {
                deadLetters.record(new DeadLetterSink.DeadLetter(null, DeadLetterType.PAGE, run.jobId, run.ownerId, queue,
                        task.forReplay().encode(), "page " + task.number() + ": " + error, task.attempt(), now));
            }
        });
    }

    /** Fails a page still queued in a running run, lets {@code then} say what that means for the run, and settles it. */
    private void failPage(PageTask task, Integer httpStatus, String error, BiConsumer<RunState, Instant> then) {
        tx.executeWithoutResult(status -> {
            Runs.PageRow row = lockPage(task);
            RunState run = row == null ? null : runs.lock(task.runId()).orElse(null);
            if (run == null || !row.state().equals("queued") || !run.running()) {
                return;
            }
            Instant now = clock.instant();
            runs.pageFailed(run.id, task.number(), Math.max(row.attempts(), task.attempt()), httpStatus, error, now);
            run.queued--;
            run.failed++;
            then.accept(run, now);
            settle(run, now);
        });
    }

    /**
     * A run no page has moved for long: its page tasks in flight are queued again (a page settles
     * once, so a task that was not lost after all costs one duplicate request at most), and what
     * was left pending is queued. Returns how many tasks it queued.
     */
    int resume(UUID runId, java.time.Duration stallAfter) {
        Integer queued = tx.execute(status -> {
            RunState run = runs.lockJob(runId) ? runs.lock(runId).orElse(null) : null;
            if (run == null || !runs.stillStalled(runId, stallAfter)) {
                return 0; // moved meanwhile, or another node resumed it
            }
            List<Integer> inFlight = runs.queued(runId);
            run.queued = inFlight.size();
            if (!inFlight.isEmpty()) {
                transport.enqueue(PageTask.QUEUE, inFlight.stream().map(n -> PageTask.first(run.id, run.jobId, n).encode())
                        .toList());
            }
            settle(run, clock.instant());
            return inFlight.size();
        });
        return queued == null ? 0 : queued;
    }

    /**
     * Locks in the one order every writer of a run keeps — the job's row (shared: a deletion of the
     * job takes it first), the page's, then the run's — and returns the page; null when it is gone.
     */
    private Runs.PageRow lockPage(PageTask task) {
        return runs.lockJob(task.runId()) ? runs.lockPage(task.runId(), task.number()).orElse(null) : null;
    }

    /**
     * Whether the page is one a total planned (page 2 onwards of a count-first run) with nothing to
     * plan itself: it settles without holding its run's row, which the run's pages otherwise take
     * in turn — the row is touched once, at the end, to add to its counters.
     */
    private static boolean plannedPage(PageTask task, RunTarget target, Page page) {
        return task.number() > 1 && task.number() <= Paginator.FOLLOW_BASE && page.settings() != null
                && page.settings().totalPath() != null && (target.items() == null || target.items().follow() == null);
    }

    /**
     * A planned page's outcome: its items and hash, its row done, its successor queued (pending
     * pages are taken with SKIP LOCKED, so pages settling together never take the same one), and
     * last the run's counters, which tell whether this page was the run's last.
     */
    private void settlePlanned(PageTask task, Runs.PageRow row, Page page, ItemChunks.Ahead ahead, UUID owner) {
        Instant now = clock.instant();
        Written written = writeItems(task, page, now, ahead);
        int created = written.changes() == null ? 0 : written.changes().created().size();
        int itemsChanged = written.changes() == null ? 0 : written.changes().changed().size();
        runs.pageDone(task.runId(), task.number(), Math.max(row.attempts(), task.attempt()), page.status(), page.hash(), now);
        List<Integer> next = runs.queueNext(task.runId(), 1);
        String note = page.split() == null ? null : page.split().capNote(task.number(), maxItems);
        RunState state = runs.count(task.runId(), next.size() - 1, written.changed(), created, itemsChanged, note)
                .orElse(null);
        if (state != null && !next.isEmpty()) {
            transport.enqueue(PageTask.QUEUE, List.of(PageTask.first(task.runId(), task.jobId(), next.getFirst()).encode()));
        }
        if (state != null && state.running()) {
            if (state.complete()) {
                finish(state, now);
                runs.save(state);
            } else {
                progress.page(state);
            }
        }
        quota.stored(task.jobId(), owner, written.bytes());
    }

    private boolean settles(RunState run, Runs.PageRow row) {
        return switch (row.state()) {
            case "queued" -> run.running(); // else the run ended without it (a loop, a failed first page)
            case "failed" -> true;          // a replay of its dead letter
            default -> false;               // done already: a duplicate task
        };
    }

    /** The first page fixes how the run walks: the configured settings, or what auto detects. */
    private void begin(RunState run, RunTarget target, Page page, Integer entries) {
        JobSpec.Pagination configured = target.pagination();
        if (run.settings == null && configured != null && configured.type().equals("auto")) {
            Paginator.Detection detection = Paginator.detect(configured, page.document(), page.links(), target.url(), entries);
            if (detection.error() != null) {
                run.error = detection.error();
                return;
            }
            if (detection.settings() == null) {
                run.pagination = "auto";
                run.note("nothing on the first page names more pages: one page");
                run.total = 1;
                return;
            }
            run.settings = detection.settings();
            run.pagination = detection.settings().type();
            run.note("detected " + describe(detection.settings()));
        }
        if (run.settings != null) {
            run.pageSize = run.settings.size() != null ? run.settings.size() : entries;
        }
    }

    /** What the page says about the rest of the run. */
    private void walk(RunState run, int number, Page page, Integer entries) {
        if (run.settings == null) {
            run.total = run.planned;
            return;
        }
        Paginator.Step step = Paginator.afterPage(run.settings, number, page.document(), page.links(), page.url(), entries,
                run.pageSize, number);
        switch (step) {
            case Paginator.Plan plan -> {
                runs.plan(run.id, 2, plan.pages());
                run.planned += plan.pages() - 1; // pages 2..N; the count holds follows too
                run.total = run.planned;
                run.note(plan.note());
            }
            case Paginator.Next next -> {
                if (next.target() != null && runs.seen(run.id, next.target())) {
                    run.error = "pagination loop: page " + number + " names a cursor or next URL an earlier page named";
                    return;
                }
                runs.add(run.id, number + 1, next.target());
                run.planned++;
            }
            case Paginator.End end -> {
                run.total = run.planned;
                run.note(end.note());
            }
            case Paginator.Fail fail -> run.error = fail.error();
        }
    }

    /** What a page's answer changed: 1 when its hash is new for its number, and its items' changes (null without items). */
    /** @param bytes what this transaction added to the job's items (those written ahead were counted as they were written) */
    private record Written(int changed, ItemStore.Changes changes, long bytes) {
    }

    /**
     * The page's hash against its number's last one and, when it is new, its items and their
     * events (those {@link ItemChunks} did not write ahead). Taken before the run's row by every path, so item rows and the run's row are always
     * locked in that order.
     */
    private Written writeItems(PageTask task, Page page, Instant now, ItemChunks.Ahead ahead) {
        if (Arrays.equals(items.pageHash(task.jobId(), task.number()).orElse(null), page.hash())) {
            return new Written(0, null, 0);
        }
        ItemStore.Changes changes = null;
        long bytes = 0;
        if (page.split() != null) {
            ItemStore.Changes last = items.write(task.jobId(), ahead.rest(), now);
            events.items(task.jobId(), task.runId(), last.created(), last.changed(), now);
            changes = ahead.written().plus(last);
            bytes = last.bytes();
        }
        items.pageHash(task.jobId(), task.number(), page.hash());
        return new Written(1, changes, bytes);
    }

    /** Plans one detail fetch for each new or changed item that names a detail URL. */
    private void follow(RunState run, RunTarget target, ItemStore.Changes changes) {
        if (target.items() == null || target.items().follow() == null) {
            return;
        }
        int planned = 0;
        for (List<ItemSplitter.Item> group : List.of(changes.created(), changes.changed())) {
            for (ItemSplitter.Item item : group) {
                String url = Paginator.followUrl(target.url(), item.follow());
                if (url != null && run.follows >= maxFollows) {
                    // why: follows are pages beyond maxPages; without a cap one run's items could plan millions
                    run.noteOnce(FOLLOW_CAP, "the run reached " + FOLLOW_CAP + " (" + maxFollows
                            + "): items beyond it keep their page's content, their details not fetched");
                } else if (url != null) {
                    run.follows++;
                    runs.follow(run.id, Paginator.FOLLOW_BASE + run.follows, url, item.key(), item.hash());
                    planned++;
                }
            }
        }
        run.planned += planned;
        if (run.total != null) {
            run.total += planned;
        }
    }

    /** Queues the next pages up to the run's parallelism, ends it when nothing is left, and writes it back. */
    private void settle(RunState run, Instant now) {
        if (run.running() && run.error == null) {
            int parallelism = run.settings != null ? run.settings.parallelism() : 1;
            List<Integer> next = runs.queueNext(run.id, parallelism - run.queued);
            if (!next.isEmpty()) {
                run.queued += next.size();
                transport.enqueue(PageTask.QUEUE, next.stream().map(n -> PageTask.first(run.id, run.jobId, n).encode()).toList());
            }
        }
        if (run.running() && (run.error != null || run.complete())) {
            finish(run, now);
        } else if (!run.running() && run.status.equals("partial") && run.failed == 0 && planned(run)) {
            run.status = "succeeded"; // its failed pages were replayed, and they were all it lacked
        }
        runs.save(run);
        if (run.running()) {
            progress.page(run);
        }
    }

    /**
     * Whether the run knew all its pages from the start (a total): then replaying its failed pages
     * completes it. A sequential run stopped at its failed page; a replay fetches that page, and
     * the pages after it wait for the job's next run.
     */
    private static boolean planned(RunState run) {
        return run.settings != null && run.settings.totalPath() != null;
    }

    private void finish(RunState run, Instant now) {
        run.status = run.error != null || run.done == 0 ? "failed" : run.failed > 0 ? "partial" : "succeeded";
        run.finishedAt = now;
        events.finished(run, now);
        publisher.publishEvent(new RunEnded(run.id, run.jobId, run.fireAt, run.startedAt, now, run.status,
                run.changed > 0 || run.itemsCreated > 0 || run.itemsChanged > 0, run.error));
        progress.finished(run);
        if (run.error != null) {
            log.info("Run {} of job {} failed after {} pages: {}", run.id, run.jobId, run.done, run.error);
        }
    }


    private static String describe(JobSpec.Pagination p) {
        return switch (p.type()) {
            case "link" -> "Link rel=\"next\" headers";
            case "cursor" -> "next URLs at " + p.nextUrlPath();
            default -> p.type() + " parameter " + p.param() + " with a total at " + p.totalPath()
                    + (p.size() == null ? "" : ", " + p.size() + " per page");
        };
    }
}
