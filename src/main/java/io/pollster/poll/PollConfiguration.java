package io.pollster.poll;

import io.pollster.dedup.Normalizer;
import io.pollster.fetch.FetchSettings;
import io.pollster.fetch.Fetcher;
import io.pollster.system.CpuWork;
import io.pollster.system.PollsterProperties;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class PollConfiguration {

    /**
     * The shared HTTP client. {@code POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS=true} lets jobs reach
     * loopback and private addresses (refused by default: SSRF guard). One user's requests hold at
     * most {@code pollster.hosts.per-user-concurrency} of a host's
     * {@code pollster.hosts.default-concurrency} (half, unless set).
     */
    @Bean(destroyMethod = "close")
    Fetcher fetcher(PollerProperties poller, PollsterProperties poll,
                    @Value("${pollster.fetch.allow-private-networks:false}") boolean allowPrivateNetworks,
                    @Value("${pollster.hosts.default-concurrency:8}") int hostConcurrency,
                    @Value("${pollster.hosts.per-user-concurrency:0}") int perUser) {
        if (hostConcurrency < 1 || perUser < 0 || perUser > hostConcurrency) {
            throw new IllegalStateException("pollster.hosts.per-user-concurrency is " + perUser + " and "
                    + "pollster.hosts.default-concurrency " + hostConcurrency + ": set the first between 1 and the second "
                    + "(or leave it unset for half of it), and the second to at least 1");
        }
        return new Fetcher(new FetchSettings(allowPrivateNetworks, poller.connectTimeout(), poller.maxRedirects(),
                poll.maxBodySize().toBytes(), hostConcurrency, perUser > 0 ? perUser : FetchSettings.halfOf(hostConcurrency),
                poller.userAgent()));
    }

    @Bean
    Normalizer normalizer(PollerProperties poller) {
        return new Normalizer(poller.normalizeTimeout());
    }

    @Bean
    FairShare fairShare(PollerProperties poller) {
        return new FairShare(poller.slowPollCap(), poller.concurrency() - poller.slowPollCap());
    }

    @Bean(destroyMethod = "close")
    CpuWork cpuWork(PollerProperties poller) {
        return new CpuWork(poller.cpuThreadCount(), "pollster-cpu");
    }
}
