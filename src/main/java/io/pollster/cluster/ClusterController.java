package io.pollster.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import io.pollster.cache.UpstreamCache;
import io.pollster.output.DeliveryQueue;
import io.pollster.transport.QueueStats;
import io.pollster.transport.Transport;
import io.pollster.user.Caller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /cluster} (admin): live nodes, every queue's depth and oldest task, and where the shared cache lives. */
@RestController
@RequestMapping("/api/v1/cluster")
class ClusterController {

    private final ClusterRepository cluster;
    private final Transport transport;
    private final DeliveryQueue deliveries;
    private final ClusterProperties properties;
    private final Clock clock;
    private final UpstreamCache cache;

    ClusterController(ClusterRepository cluster, Transport transport, DeliveryQueue deliveries, ClusterProperties properties,
                      Clock clock, UpstreamCache cache) {
        this.cache = cache;
        this.cluster = cluster;
        this.deliveries = deliveries;
        this.transport = transport;
        this.properties = properties;
        this.clock = clock;
    }

    @GetMapping
    ClusterView get(Caller caller) {
        caller.requireAdmin();
        Instant now = clock.instant();
        List<NodeView> nodes = cluster.live(properties.deadAfterTime()).stream()
                .map(n -> new NodeView(n.id(), n.roles(), n.startedAt(), n.lastHeartbeatAt()))
                .toList();
        List<QueueView> queues = Stream.concat(transport.stats().stream(), Stream.of(deliveries.stats()))
                .map(q -> new QueueView(q.name(), q.depth(), ageMs(q, now)))
                .toList();
        return new ClusterView(nodes, queues, cache.backend());
    }

    /** 0 for an empty queue; null when the transport cannot tell how long its oldest task has waited. */
    private static Long ageMs(QueueStats queue, Instant now) {
        if (queue.oldest() == null) {
            return queue.depth() == 0 ? 0L : null;
        }
        return Math.max(0, Duration.between(queue.oldest(), now).toMillis());
    }

    /** @param cache the shared upstream cache's backend: postgres or redis */
    record ClusterView(List<NodeView> nodes, List<QueueView> queues, String cache) {
    }

    record NodeView(String id, List<String> roles, Instant startedAt, Instant lastHeartbeatAt) {
    }

    record QueueView(String name, long depth, Long oldestAgeMs) {
    }
}
