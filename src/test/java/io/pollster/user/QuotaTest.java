package io.pollster.user;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-user quotas: defaults from pollster.quota.*, a user's own set by the admin, shown on /me. */
@TestPropertySource(properties = {"pollster.quota.jobs=3", "pollster.quota.stored-bytes=1MB"})
class QuotaTest extends IntegrationTest {

    private static final String JOB = "{\"url\":\"https://example.com/x\",\"interval\":\"1h\"}";

    @Test
    void aUserAtTheirJobQuotaGets403AndNothingIsCreated() {
        Api alice = api().as(createUser("alice"));
        for (int i = 0; i < 3; i++) {
            assertThat(alice.post("/api/v1/jobs", JOB).status()).isEqualTo(201);
        }

        Api.Response fourth = alice.post("/api/v1/jobs", JOB);

        assertThat(fourth.status()).isEqualTo(403);
        assertThat(fourth.json().get("detail").asString()).contains("3 jobs", "quota");
        assertThat(alice.get("/api/v1/jobs").json().get("items")).hasSize(3);
        Api bob = api().as(createUser("bob"));
        assertThat(bob.post("/api/v1/jobs", JOB).status()).as("another user's quota is their own").isEqualTo(201);
    }

    @Test
    void theAdminRaisesOneUsersQuotaAndSetsItBackToTheDefault() {
        Api alice = api().as(createUser("alice"));
        String id = alice.get("/api/v1/me").json().get("id").asString();

        JsonNode raised = admin().patch("/api/v1/users/" + id, "{\"quota\":{\"jobs\":5,\"storedBytes\":5000}}").json();

        assertThat(raised.get("quota").get("jobs").asInt()).isEqualTo(5);
        assertThat(raised.get("quota").get("storedBytes").asLong()).isEqualTo(5000);
        for (int i = 0; i < 5; i++) {
            assertThat(alice.post("/api/v1/jobs", JOB).status()).isEqualTo(201);
        }
        assertThat(alice.post("/api/v1/jobs", JOB).status()).isEqualTo(403);
        JsonNode me = alice.get("/api/v1/me").json();
        assertThat(me.get("usage").get("jobs").asInt()).isEqualTo(5);
        assertThat(me.get("quota").get("jobs").asInt()).isEqualTo(5);

        JsonNode reset = admin().patch("/api/v1/users/" + id, "{\"quota\":null}").json();
        assertThat(reset.get("quota").get("jobs").asInt()).isEqualTo(3);
        assertThat(reset.get("quota").get("storedBytes").asLong()).isEqualTo(1024 * 1024);
    }

    @Test
    void onlyTheAdminSetsQuotasAndBadValuesAre400() {
        Api alice = api().as(createUser("alice"));
        String id = alice.get("/api/v1/me").json().get("id").asString();

        assertThat(alice.patch("/api/v1/users/" + id, "{\"quota\":{\"jobs\":1000000}}").status()).isEqualTo(403);
        assertThat(admin().patch("/api/v1/users/" + id, "{\"quota\":{\"jobs\":-1}}").status()).isEqualTo(400);
        assertThat(admin().patch("/api/v1/users/" + id, "{\"quota\":{\"jobz\":1}}").status()).isEqualTo(400);
        assertThat(admin().patch("/api/v1/users/00000000-0000-0000-0000-000000000000", "{\"quota\":{\"jobs\":1}}").status())
                .isEqualTo(404);
    }
}
