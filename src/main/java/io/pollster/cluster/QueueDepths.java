package io.pollster.cluster;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.output.DeliveryQueue;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import io.pollster.transport.Transport;
import org.springframework.stereotype.Component;

/**
 * Refreshes the {@code pollster_queue_depth} gauges every {@code pollster.cluster.depth-interval}.
 * A loop apart from the heartbeat: counting a deep queue can take a while, and must never make
 * this node's heartbeat late.
 */
@Component
class QueueDepths extends LoopService {

    private final Transport transport;
    private final DeliveryQueue deliveries;
    private final MeterRegistry meters;
    private final Duration interval;
    private final Map<String, AtomicLong> depths = new ConcurrentHashMap<>();

    QueueDepths(Transport transport, DeliveryQueue deliveries, MeterRegistry meters, ClusterProperties properties, Loops loops) {
        super(loops, "queue-depths", properties.depthInterval(), ShutdownPhase.UPKEEP, Duration.ofSeconds(5));
        this.transport = transport;
        this.deliveries = deliveries;
        this.meters = meters;
        this.interval = properties.depthInterval();
    }

    @Override
    protected Duration runOnce() {
        Map<String, Long> current = new HashMap<>();
        transport.stats().forEach(queue -> current.put(queue.name(), queue.depth()));
        current.put(DeliveryQueue.NAME, deliveries.stats().depth());
        depths.keySet().forEach(name -> current.putIfAbsent(name, 0L)); // a queue that emptied shows 0, not its last depth
        current.forEach((name, depth) -> depths.computeIfAbsent(name, this::depthGauge).set(depth));
        return interval;
    }

    private AtomicLong depthGauge(String queue) {
        AtomicLong depth = new AtomicLong();
        Gauge.builder("pollster.queue.depth", depth, AtomicLong::get).tag("queue", queue)
                .description("Tasks waiting on a queue").register(meters);
        return depth;
    }
}
