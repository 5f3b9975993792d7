package io.pollster.cluster;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.system.NodeId;
import io.pollster.system.Roles;
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
    private final NodeId node;
    private final Roles roles;
    private final ClusterProperties properties;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Map<String, AtomicLong> depths = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final Instant startedAt;
    private volatile Thread thread;

    NodeHeartbeat(ClusterRepository cluster, NodeId node, Roles roles, ClusterProperties properties, Clock clock,
                  MeterRegistry meters) {
        this.cluster = cluster;
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
            for (ClusterRepository.Queue queue : cluster.queues()) {
                depths.computeIfAbsent(queue.name(), name -> {
                    AtomicLong depth = new AtomicLong();
                    Gauge.builder("pollster.queue.depth", depth, AtomicLong::get).tag("queue", name)
                            .description("Tasks waiting or in flight on a queue").register(meters);
                    return depth;
                }).set(queue.depth());
            }
        } catch (RuntimeException e) {
            log.warn("Heartbeat failed; trying again in {}: {}", properties.heartbeatInterval(), e.toString());
        }
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
