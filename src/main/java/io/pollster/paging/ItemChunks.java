package io.pollster.paging;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A large page's items, written ahead of the transaction that settles the page: {@link #CHUNK} at
 * a time, each chunk with its events in a short transaction of its own, so that no transaction
 * holds {@code pg_snapshot_xmin} — below which every user's live event stream reads — for longer
 * than one chunk takes. The page's transaction then writes the last chunk and settles the page.
 *
 * <p>A crash between chunks leaves the written ones committed: the page's redelivery finds those
 * items stored with the same hash and makes no second event for them (the run's counters then
 * miss them; the items and their events are right).
 */
@Component
class ItemChunks {

    /** Items per transaction: one multi-row upsert and one multi-row event insert each. */
    static final int CHUNK = 500;

    private final Runs runs;
    private final ItemStore items;
    private final RunEvents events;
    private final ItemQuota quota;
    private final TransactionTemplate tx;

    ItemChunks(Runs runs, ItemStore items, RunEvents events, ItemQuota quota, TransactionTemplate tx) {
        this.quota = quota;
        this.runs = runs;
        this.items = items;
        this.events = events;
        this.tx = tx;
    }

    /**
     * What is left for the page's own transaction (its last chunk) and what the chunks before it
     * changed. Writes nothing when the page has at most one chunk, when it is settled already (a
     * task delivered twice) or when its hash is its number's last one (nothing new to read).
     */
    Ahead writeAhead(PageTask task, UUID owner, ItemSplitter.Split split, byte[] pageHash, Instant now) {
        List<ItemSplitter.Item> all = ItemStore.distinct(split.items());
        if (all.size() <= CHUNK || !unsettled(task)
                || Arrays.equals(items.pageHash(task.jobId(), task.number()).orElse(null), pageHash)) {
            return new Ahead(all, ItemStore.Changes.NONE);
        }
        ItemStore.Changes ahead = ItemStore.Changes.NONE;
        int last = ((all.size() - 1) / CHUNK) * CHUNK;
        for (int from = 0; from < last; from += CHUNK) {
            List<ItemSplitter.Item> chunk = all.subList(from, from + CHUNK);
            ItemStore.Changes written = tx.execute(status -> {
                if (!runs.lockJob(task.runId())) {
                    return null; // the job or its run is gone
                }
                ItemStore.Changes changes = items.write(task.jobId(), chunk, now);
                events.items(task.jobId(), task.runId(), changes.created(), changes.changed(), now);
                quota.stored(task.jobId(), owner, changes.bytes());
                return changes;
            });
            if (written == null) {
                return new Ahead(List.of(), ahead);
            }
            ahead = ahead.plus(written);
        }
        return new Ahead(all.subList(last, all.size()), ahead);
    }

    /** Whether the page still waits for its outcome, as read without a lock. */
    private boolean unsettled(PageTask task) {
        return runs.fetchable(task.runId(), task.number())
                .map(Runs.Fetchable::page)
                .filter(page -> page.state().equals("failed") || (page.state().equals("queued") && page.runRunning()))
                .isPresent();
    }

    /**
     * @param rest    the items the page's transaction writes
     * @param written what the chunks written ahead created and changed
     */
    record Ahead(List<ItemSplitter.Item> rest, ItemStore.Changes written) {
    }
}
