package io.pollster.paging;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How this node fetches pages ({@code pollster.pages.*}); the page queue is consumed wherever the
 * poller runs ({@code pollster.poller.enabled}).
 *
 * @param concurrency       pages fetched at once by this node, across every run (each run also
 *                          keeps to its own {@code parallelism} cluster-wide)
 * @param visibilityTimeout how long a claimed page task stays invisible to other nodes; kept alive
 *                          while it runs, so it lapses only when its node dies: a killed node's
 *                          pages are taken over this long after
 * @param maxDeliveries     deliveries of one page task before it is dead-lettered (a page that
 *                          crashes its handler; upstream failures are retried by the page itself)
 * @param stallAfter        a running run that no page moved for this long gets its pages in
 *                          flight queued again (a lost task)
 */
@ConfigurationProperties("pollster.pages")
public record PagingProperties(
        @DefaultValue("32") int concurrency,
        @DefaultValue("2m") Duration visibilityTimeout,
        @DefaultValue("3") int maxDeliveries,
        @DefaultValue("15m") Duration stallAfter,
        @DefaultValue("10000") int maxItemsPerPage,
        @DefaultValue("10000") int maxFollowsPerRun) {

    public PagingProperties {
        if (concurrency < 1 || maxDeliveries < 1) {
            throw new IllegalArgumentException("pollster.pages needs concurrency >= 1 and max-deliveries >= 1");
        }
        if (maxItemsPerPage < 1 || maxFollowsPerRun < 0) {
            throw new IllegalArgumentException("pollster.pages needs max-items-per-page >= 1 and max-follows-per-run >= 0");
        }
    }
}
