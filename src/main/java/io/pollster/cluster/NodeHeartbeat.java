package io.pollster.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.system.NodeClaims;
import io.pollster.system.NodeId;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Records this process in {@code nodes} every heartbeat interval, and in the same round removes
 * the nodes that missed {@code dead-after} heartbeats and releases what they held ({@link NodeClaims}:
 * queue tasks, deliveries), so that a killed node's work goes on elsewhere within seconds instead
 * of when each claim's own timeout (minutes) runs out. On shutdown it leaves, giving back what this
 * node still holds once its work loops have stopped.
 *
 * <p>Why it is safe beside a slow node: a node is dead only when its heartbeat — one small
 * statement on a loop of its own — has not run for {@code dead-after} intervals (5 s by default,
 * five heartbeats), not when its work is slow. A node that was stalled that long (a pause of the
 * whole process, a database it could not reach) finds its row gone at its next heartbeat and says
 * so: what it held was released, and a task or delivery it was still working on may be done a
 * second time (at least once, as after any lapsed claim; every write of a claim is fenced by it).
 *
 * <p>Node ids are new for each process ({@link NodeId}), so a restarted node never finds its old
 * claims by name; its first round releases them with every other dead node's, at most
 * {@code dead-after} after the old process's last heartbeat.
 */
@Component
class NodeHeartbeat extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);

    private final ClusterRepository cluster;
    private final List<NodeClaims> claims;
    private final TransactionTemplate tx;
    private final NodeId node;
    private final Roles roles;
    private final ClusterProperties properties;
    private final Instant startedAt;
    private final Counter deadNodes;
    private final Counter released;
    /** Whether this node has recorded itself yet; only the loop's thread touches it. */
    private boolean joined;

    NodeHeartbeat(ClusterRepository cluster, List<NodeClaims> claims, TransactionTemplate tx, NodeId node, Roles roles,
                  ClusterProperties properties, Clock clock, MeterRegistry meters, Loops loops) {
        // leaves after the work loops have stopped; waits for a heartbeat in flight, which could re-add the node
        super(loops, "heartbeat", properties.heartbeatInterval(), ShutdownPhase.UPKEEP, Duration.ofSeconds(10));
        this.cluster = cluster;
        this.claims = claims;
        this.tx = tx;
        this.node = node;
        this.roles = roles;
        this.properties = properties;
        this.startedAt = clock.instant();
        this.deadNodes = Counter.builder("pollster.cluster.dead.nodes")
                .description("Nodes found dead from their missed heartbeats").register(meters);
        this.released = Counter.builder("pollster.cluster.released.claims")
                .description("Queue tasks and deliveries released from nodes found dead").register(meters);
    }

    @Override
    protected Duration runOnce() {
        beat();
        releaseDeadNodes();
        return properties.heartbeatInterval();
    }

    private void beat() {
        boolean inserted = cluster.heartbeat(node.value(), roles.labels(), startedAt);
        if (inserted && joined) {
            log.warn("This node missed its heartbeats for {} and was taken for dead: the queue tasks and deliveries it "
                    + "held were released to other nodes, and any still running here may be done twice", properties.deadAfterTime());
        }
        joined = true;
    }

    /** One small DELETE when every node is alive; the releases run only for the dead, in its transaction. */
    private void releaseDeadNodes() {
        Duration deadAfter = properties.deadAfterTime();
        tx.executeWithoutResult(status -> {
            List<String> dead = cluster.removeDead(deadAfter);
            if (dead.isEmpty()) {
                return;
            }
            int freed = release(dead);
            deadNodes.increment(dead.size());
            released.increment(freed);
            log.warn("Nodes {} missed their heartbeats for {}: released the {} queue tasks and deliveries they held",
                    dead, deadAfter, freed);
        });
    }

    private int release(List<String> nodes) {
        int freed = 0;
        for (NodeClaims kind : claims) {
            freed += kind.releaseAll(nodes);
        }
        return freed;
    }

    @Override
    protected void afterStop(boolean finished) {
        if (!finished) {
            log.warn("A heartbeat is still running; the node may show in the cluster view until it expires");
        }
        try {
            // the work loops have stopped: anything still claimed here is abandoned, and is freed now
            tx.executeWithoutResult(status -> {
                cluster.leave(node.value());
                int freed = release(List.of(node.value()));
                if (freed > 0) {
                    log.info("Released {} queue tasks and deliveries still held on the way out", freed);
                }
            });
        } catch (RuntimeException e) {
            log.warn("Could not leave the cluster view; the other nodes release what this one held in {}: {}",
                    properties.deadAfterTime(), e.toString());
        }
    }
}
