package io.pollster.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.pollster.support.IntegrationTest;
import io.pollster.system.NodeId;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ClusterApiTest extends IntegrationTest {

    @Autowired
    private NodeId node;
    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private ClusterProperties properties;

    /**
     * The Spring contexts of other test classes stay cached and heartbeat into the same database, so
     * this node is one of the live ones, not the only one.
     */
    @Test
    void theAdminSeesLiveNodesWithRolesAndEveryQueue() {
        Instant inserted = Instant.now();
        jdbc.sql("INSERT INTO queue_tasks (queue, payload, visible_at, enqueued_at) VALUES ('poll', '\\x00', now(), now() - interval '3 seconds')").update();
        // stopped heartbeating long enough ago to be dead: the next heartbeat round of any live node removes it
        jdbc.sql("INSERT INTO nodes (id, roles, started_at, last_heartbeat_at) VALUES ('gone', 'poller', now() - interval '1 hour', now() - interval '10 seconds')").update();

        await("this node's heartbeat").atMost(Duration.ofSeconds(10))
                .until(() -> node(admin().get("/api/v1/cluster").json(), node.value()).isPresent());
        Instant asked = Instant.now();
        JsonNode cluster = admin().get("/api/v1/cluster").json();
        Instant answered = Instant.now();

        JsonNode self = node(cluster, node.value()).orElseThrow();
        assertThat(self.get("roles").valueStream().map(JsonNode::asString)).containsExactly("api", "scheduler", "poller", "ingest");
        assertThat(cluster.get("cache").asString()).as("the shared cache's backend").isEqualTo("postgres");
        Instant startedAt = Instant.parse(self.get("startedAt").asString());
        assertThat(startedAt).isBeforeOrEqualTo(Instant.parse(self.get("lastHeartbeatAt").asString()));
        Instant liveSince = asked.minus(properties.heartbeatInterval().multipliedBy(properties.deadAfter()));
        assertThat(cluster.get("nodes").valueStream())
                .as("every node listed, each once, each heartbeating")
                .allSatisfy(n -> assertThat(Instant.parse(n.get("lastHeartbeatAt").asString())).isAfterOrEqualTo(liveSince))
                .extracting(n -> n.get("id").asString()).doesNotHaveDuplicates().doesNotContain("gone");
        JsonNode poll = cluster.get("queues").valueStream().filter(q -> q.get("name").asString().equals("poll"))
                .findFirst().orElseThrow();
        assertThat(poll.get("depth").asLong()).isEqualTo(1);
        assertThat(poll.get("oldestAgeMs").isNumber()).as("oldestAgeMs is a number: " + poll).isTrue();
        assertThat(poll.get("oldestAgeMs").asLong()).isBetween(3000L, 3000 + Duration.between(inserted, answered).toMillis());
    }

    @Test
    void onlyTheAdminSeesTheCluster() {
        assertThat(api().as(createUser("carol")).get("/api/v1/cluster").status()).isEqualTo(403);
    }

    private static Optional<JsonNode> node(JsonNode cluster, String id) {
        return cluster.get("nodes").valueStream().filter(n -> n.get("id").asString().equals(id)).findFirst();
    }
}
