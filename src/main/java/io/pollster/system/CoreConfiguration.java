package io.pollster.system;

import java.time.Clock;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class CoreConfiguration {

    /** The one clock all logic reads, so tests can control time. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
