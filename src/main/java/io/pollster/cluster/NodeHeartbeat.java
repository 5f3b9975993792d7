package io.pollster.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.output.DeliveryQueue;
import io.pollster.system.NodeId;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Records this process in {@code nodes} every heartbeat interval (and leaves on shutdown), and
 * refreshes the {@code pollster_queue_depth} gauges from the same loop.
 */
@Component
class NodeHeartbeat extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);

    private final ClusterRepository cluster;
    private final Transport transport;
    private final DeliveryQueue deliveries;
    private final NodeId node;
    private final Roles roles;
    private final ClusterProperties properties;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Map<String, AtomicLong> depths = new ConcurrentHashMap<>();
    private final Instant startedAt;

    NodeHeartbeat(ClusterRepository cluster, Transport transport, DeliveryQueue deliveries, NodeId node, Roles roles,
                  ClusterProperties properties, Clock clock, MeterRegistry meters, Loops loops) {
        // leaves after the work loops have stopped; waits for a heartbeat in flight, which could re-add the node
        super(loops, "heartbeat", properties.heartbeatInterval(), ShutdownPhase.UPKEEP, Duration.ofSeconds(10));
        this.cluster = cluster;
        this.transport = transport;
        this.deliveries = deliveries;
        this.node = node;
        this.roles = roles;
        this.properties = properties;
        this.clock = clock;
        this.meters = meters;
        this.startedAt = clock.instant();
    }

    @Override
    protected Duration runOnce() {
        beat();
        return properties.heartbeatInterval();
    }

    private void beat() {
        Instant now = clock.instant();
        cluster.heartbeat(node.value(), roles.labels(), startedAt, now);
        cluster.forget(now.minus(properties.heartbeatInterval().multipliedBy(properties.deadAfter() * 100L)));
        Map<String, Long> current = new HashMap<>();
        transport.stats().forEach(queue -> current.put(queue.name(), queue.depth()));
        current.put(DeliveryQueue.NAME, deliveries.stats().depth());
        depths.keySet().forEach(name -> current.putIfAbsent(name, 0L)); // a queue that emptied shows 0, not its last depth
        current.forEach((name, depth) -> depths.computeIfAbsent(name, this::depthGauge).set(depth));
    }

    private AtomicLong depthGauge(String queue) {
        AtomicLong depth = new AtomicLong();
        Gauge.builder("pollster.queue.depth", depth, AtomicLong::get).tag("queue", queue)
                .description("Tasks waiting on a queue").register(meters);
        return depth;
    }

    @Override
    protected void afterStop(boolean finished) {
        if (!finished) {
            log.warn("A heartbeat is still running; the node may show in the cluster view until it expires");
        }
        try {
            cluster.leave(node.value());
        } catch (RuntimeException e) {
            log.warn("Could not leave the cluster view; the entry expires by itself: {}", e.toString());
        }
    }
}
