package io.pollster.paging;

import java.time.Instant;
import java.util.UUID;

import io.pollster.dedup.DedupSpec;
import io.pollster.job.JobSpec;
import org.springframework.stereotype.Component;

/**
 * Items of a job without pagination: each new version of its body is split into items like a
 * page is, in the transaction that stores the version.
 */
@Component
public class PollItems {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PollItems.class);

    private final ItemSplitter splitter;
    private final ItemStore items;
    private final RunEvents events;
    private final ItemQuota quota;

    PollItems(ItemSplitter splitter, ItemStore items, RunEvents events, ItemQuota quota) {
        this.quota = quota;
        this.splitter = splitter;
        this.items = items;
        this.events = events;
    }

    /**
     * Joins the caller's transaction, which has locked the job's row already (its version's bytes).
     * The items count toward the owner's quota with the version's body, whose check let them in.
     */
    public void changed(UUID jobId, UUID owner, byte[] body, JobSpec.Items spec, DedupSpec dedup, Instant at) {
        ItemSplitter.Split split = splitter.split(PageDocument.parse(body), spec, dedup);
        if (split.beyondCap() > 0) {
            log.info("Job {}: its body held {} items; the {} beyond {} were not stored", jobId, split.entries(),
                    split.beyondCap(), ItemSplitter.Split.CAP_NOTE);
        }
        ItemStore.Changes changes = items.write(jobId, split.items(), at);
        events.items(jobId, null, changes.created(), changes.changed(), at);
        quota.stored(jobId, owner, changes.bytes());
    }
}
