package io.pollster.paging;

import io.pollster.job.JobEvents;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** A changed request makes what its pages said before meaningless: the next run reads every page afresh. */
@Component
class PageHashes {

    private final ItemStore items;

    PageHashes(ItemStore items) {
        this.items = items;
    }

    @EventListener
    void requestChanged(JobEvents.RequestChanged changed) {
        items.forgetPages(changed.jobId().value());
    }
}
