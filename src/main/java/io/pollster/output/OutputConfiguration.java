package io.pollster.output;

import java.time.Duration;

import io.pollster.fetch.FetchSettings;
import io.pollster.fetch.Fetcher;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class OutputConfiguration {

    /**
     * The HTTP client of webhooks: guarded like the poller's (no loopback or private addresses
     * unless {@code POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS}), but it follows no redirect and reads
     * at most 64 KiB of an answer, which it does not need. One user's deliveries hold at most half
     * of a receiving host's requests in flight, so one user's slow receiver never holds up another
     * user's deliveries to the same host.
     */
    @Bean(destroyMethod = "close")
    Fetcher webhookFetcher(@Value("${pollster.fetch.allow-private-networks:false}") boolean allowPrivateNetworks,
                           @Value("${pollster.outputs.per-host-concurrency:16}") int perHost) {
        return new Fetcher(new FetchSettings(allowPrivateNetworks, Duration.ofSeconds(5), 0, 64 * 1024, perHost,
                FetchSettings.halfOf(perHost), "Pollster-Webhooks/1"));
    }
}
