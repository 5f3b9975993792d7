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
     * loopback and private addresses (refused by default: SSRF guard).
     */
    @Bean(destroyMethod = "close")
    Fetcher fetcher(PollerProperties poller, PollsterProperties poll,
                    @Value("${pollster.fetch.allow-private-networks:false}") boolean allowPrivateNetworks,
                    @Value("${pollster.hosts.default-concurrency:8}") int hostConcurrency) {
        return new Fetcher(new FetchSettings(allowPrivateNetworks, poller.connectTimeout(), poller.maxRedirects(),
                poll.maxBodySize().toBytes(), hostConcurrency, poller.userAgent()));
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
