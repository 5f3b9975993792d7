package io.pollster.cluster;

import java.time.Duration;

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

    @Test
    void theAdminSeesLiveNodesWithRolesAndEveryQueue() {
        jdbc.sql("INSERT INTO queue_tasks (queue, payload, visible_at, enqueued_at) VALUES ('poll', '\\x00', now(), now() - interval '3 seconds')").update();

        await("this node's heartbeat").atMost(Duration.ofSeconds(10))
                .until(() -> admin().get("/api/v1/cluster").json().get("nodes").size() == 1);
        JsonNode cluster = admin().get("/api/v1/cluster").json();

        JsonNode self = cluster.get("nodes").get(0);
        assertThat(self.get("id").asString()).isEqualTo(node.value());
        assertThat(self.get("roles").valueStream().map(JsonNode::asString)).containsExactly("api", "scheduler", "poller", "ingest");
        JsonNode poll = cluster.get("queues").get(0);
        assertThat(poll.get("name").asString()).isEqualTo("poll");
        assertThat(poll.get("depth").asLong()).isEqualTo(1);
        assertThat(poll.get("oldestAgeMs").asLong()).isGreaterThanOrEqualTo(3000);
    }

    @Test
    void onlyTheAdminSeesTheCluster() {
        assertThat(api().as(createUser("carol")).get("/api/v1/cluster").status()).isEqualTo(403);
    }
}
