package io.pollster.system.memory;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

@Configuration(proxyBeanMethods = false)
class MemoryConfiguration {

    private static final Logger log = LoggerFactory.getLogger(MemoryConfiguration.class);

    /** The one budget of bytes in flight every capability of this process reserves from. */
    @Bean
    ByteBudget byteBudget(MemoryProperties properties, MeterRegistry meters) {
        long maxHeap = Runtime.getRuntime().maxMemory();
        long capacity = properties.inFlightBytes(maxHeap);
        ByteBudget budget = new ByteBudget(capacity, properties.perUserBytes(capacity));
        if (properties.inFlight() == null) {
            log.info("Bytes in flight: at most {} (a quarter of the {} maximum heap; set pollster.memory.in-flight to change it)",
                    mib(budget.capacity()), mib(maxHeap));
        } else {
            log.info("Bytes in flight: at most {} (pollster.memory.in-flight; the maximum heap is {})",
                    mib(budget.capacity()), mib(maxHeap));
        }
        log.info("Bytes in flight per user: at most {} (pollster.memory.per-user)", mib(budget.perTenant()));
        Gauge.builder("pollster.memory.in.flight", budget, ByteBudget::inUse).baseUnit("bytes")
                .description("Bytes reserved from the in-flight budget (request bodies, upstream bodies, queue entries)")
                .register(meters);
        Gauge.builder("pollster.memory.in.flight.capacity", budget, ByteBudget::capacity).baseUnit("bytes")
                .description("The in-flight budget (pollster.memory.in-flight)")
                .register(meters);
        return budget;
    }

    private static String mib(long bytes) {
        return bytes >= DataSize.ofMegabytes(1).toBytes() ? bytes / DataSize.ofMegabytes(1).toBytes() + "MB" : bytes + "B";
    }
}
