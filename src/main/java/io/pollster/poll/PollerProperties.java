package io.pollster.poll;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param enabled             whether this process polls (the {@code poller} role)
 * @param concurrency         polls in flight at once in this process (each on a virtual thread); a
 *                            poll waiting for its next attempt or for a busy host holds none
 * @param slowPollsPerUser    slow polls of one user at once in this process (a poll is slow when it
 *                            has run longer than a second, or its job's last poll did, or its job
 *                            was never polled); that user's further polls of slow jobs wait on the
 *                            queue until one ends, so one user's slow upstreams leave slots for
 *                            everyone else; once that many have run longer than a second, the
 *                            user's other polls wait too. One user never holds more than
 *                            {@code concurrency} minus this many slots (0: a quarter of {@code concurrency})
 * @param hostWait            how long a poll waits for a request slot of its host
 *                            ({@code pollster.hosts.default-concurrency} of them per host) before
 *                            it is put back on the queue for a moment instead
 * @param visibilityTimeout   how long a claimed poll task stays invisible to other pollers; kept
 *                            alive while the poll runs, so it only lapses when this process dies
 * @param maxDeliveries       deliveries of one poll task before it is dead-lettered (a poll that
 *                            crashes the handler, not an upstream failure: those are retried by the poll)
 * @param cpuThreads          threads that normalise and hash large bodies (0: one per core); CPU
 *                            work stays off the virtual threads that API requests and heartbeats
 *                            share, and one user's work takes at most half of them
 * @param normalizeTimeout    the CPU time one body's normalisation may take; past it the body is
 *                            compared as it came (exact mode) instead
 * @param connectTimeout      TCP/TLS connect timeout of upstream requests
 * @param maxRedirects        redirects followed per request
 * @param userAgent           User-Agent sent upstream
 */
@ConfigurationProperties("pollster.poller")
public record PollerProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("64") int concurrency,
        @DefaultValue("0") int slowPollsPerUser,
        @DefaultValue("1s") Duration hostWait,
        @DefaultValue("2m") Duration visibilityTimeout,
        @DefaultValue("3") int maxDeliveries,
        @DefaultValue("0") int cpuThreads,
        @DefaultValue("2s") Duration normalizeTimeout,
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("5") int maxRedirects,
        @DefaultValue("Pollster/0.1") String userAgent) {

    public PollerProperties {
        if (concurrency < 1 || slowPollsPerUser < 0 || cpuThreads < 0) {
            throw new IllegalArgumentException("pollster.poller needs concurrency >= 1, slow-polls-per-user >= 0 and cpu-threads >= 0");
        }
    }

    int slowPollCap() {
        return slowPollsPerUser > 0 ? slowPollsPerUser : Math.max(1, concurrency / 4);
    }

    int cpuThreadCount() {
        return cpuThreads > 0 ? cpuThreads : Runtime.getRuntime().availableProcessors();
    }
}
