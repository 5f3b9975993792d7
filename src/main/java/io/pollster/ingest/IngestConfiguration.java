package io.pollster.ingest;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class IngestConfiguration {

    /** Writes each message as it was accepted: the stored line is the queued message. */
    @Bean
    @ConditionalOnMissingBean
    MessageProcessor messageProcessor() {
        return message -> message;
    }
}
