package io.pollster.poll;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param enabled             whether this process polls (the {@code poller} role)
 * @param concurrency         polls in flight at once in this process (each on a virtual thread)
 * @param visibilityTimeout   how long a claimed poll task stays invisible to other pollers; kept
 *                            alive while the poll runs, so it only lapses when this process dies
 * @param maxDeliveries       deliveries of one poll task before it is dead-lettered (a poll that
 *                            crashes the handler, not an upstream failure: those are retried inside the poll)
 * @param hostConcurrency     requests in flight at once to one upstream host
 *                            ({@code pollster.hosts.default-concurrency} sets the same)
 * @param connectTimeout      TCP/TLS connect timeout of upstream requests
 * @param maxRedirects        redirects followed per request
 * @param userAgent           User-Agent sent upstream
 */
@ConfigurationProperties("pollster.poller")
public record PollerProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("64") int concurrency,
        @DefaultValue("2m") Duration visibilityTimeout,
        @DefaultValue("3") int maxDeliveries,
        @DefaultValue("8") int hostConcurrency,
        @DefaultValue("5s") Duration connectTimeout,
        @DefaultValue("5") int maxRedirects,
        @DefaultValue("Pollster/0.1") String userAgent) {
}
