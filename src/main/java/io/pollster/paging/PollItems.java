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

    private final ItemSplitter splitter;
    private final ItemStore items;
    private final RunEvents events;

    PollItems(ItemSplitter splitter, ItemStore items, RunEvents events) {
        this.splitter = splitter;
        this.items = items;
        this.events = events;
    }

    /** Joins the caller's transaction. */
    public void changed(UUID jobId, byte[] body, JobSpec.Items spec, DedupSpec dedup, Instant at) {
        ItemSplitter.Split split = splitter.split(PageDocument.parse(body), spec, dedup);
        ItemStore.Changes changes = items.write(jobId, split.items(), at);
        events.items(jobId, null, changes.created(), changes.changed(), at);
    }
}
