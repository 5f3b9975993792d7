package io.pollster.cluster;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.system.NodeId;
import io.pollster.system.Roles;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Records this process in {@code nodes} every heartbeat interval (and leaves on shutdown), and
 * refreshes the {@code pollster_queue_depth} gauges from the same loop.
 */
@Component
class NodeHeartbeat implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);

    private final ClusterRepository cluster;
    private final Transport transport;
    private final NodeId node;
    private final Roles roles;
    private final ClusterProperties properties;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Map<String, AtomicLong> depths = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final Instant startedAt;
    private volatile Thread thread;

    NodeHeartbeat(ClusterRepository cluster, Transport transport, NodeId node, Roles roles, ClusterProperties properties, Clock clock,
                  MeterRegistry meters) {
        this.cluster = cluster;
        this.transport = transport;
        this.node = node;
        this.roles = roles;
        this.properties = properties;
        this.clock = clock;
        this.meters = meters;
        this.startedAt = clock.instant();
    }

    @Override
    public void start() {
        if (running.compareAndSet(false, true)) {
            beat();
            thread = Thread.ofVirtual().name("heartbeat").start(() -> {
                while (running.get()) {
                    try {
                        Thread.sleep(properties.heartbeatInterval());
                    } catch (InterruptedException e) {
                        return;
                    }
                    beat();
                }
            });
        }
    }

    private void beat() {
        try {
            Instant now = clock.instant();
            cluster.heartbeat(node.value(), roles.labels(), startedAt, now);
            cluster.forget(now.minus(properties.heartbeatInterval().multipliedBy(properties.deadAfter() * 100L)));
            Map<String, Long> current = new HashMap<>();
            transport.stats().forEach(queue -> current.put(queue.name(), queue.depth()));
            depths.keySet().forEach(name -> current.putIfAbsent(name, 0L)); // a queue that emptied shows 0, not its last depth
            current.forEach((name, depth) -> depths.computeIfAbsent(name, this::depthGauge).set(depth));
        } catch (RuntimeException e) {
            log.warn("Heartbeat failed; trying again in {}: {}", properties.heartbeatInterval(), e.toString());
        }
    }

    private AtomicLong depthGauge(String queue) {
        AtomicLong depth = new AtomicLong();
        Gauge.builder("pollster.queue.depth", depth, AtomicLong::get).tag("queue", queue)
                .description("Tasks waiting on a queue").register(meters);
        return depth;
    }

    @Override
    public void stop() {
        if (running.compareAndSet(true, false)) {
            if (thread != null) {
                thread.interrupt();
            }
            try {
                cluster.leave(node.value());
            } catch (RuntimeException e) {
                log.warn("Could not leave the cluster view; the entry expires by itself: {}", e.toString());
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running.get();
    }

    /** Leaves last, after the work loops have stopped. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1000;
    }
}
