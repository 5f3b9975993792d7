package io.pollster.cache;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** A job's {@code cache} is checked when it is saved: a clear 400 naming the field, and nothing saved. */
class CacheValidationTest extends IntegrationTest {

    @Autowired
    private JdbcClient jdbc;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @Test
    void badSettingsAre400sNamingTheField() {
        refused("\"cache\":{\"ttl\":\"500ms\"}", "cache.ttl");
        refused("\"cache\":{\"ttl\":\"2d\"}", "cache.ttl");
        refused("\"cache\":{}", "cache.ttl");
        refused("\"cache\":{\"ttl\":\"soon\"}", "cache.ttl");
        refused("\"cache\":{\"ttl\":60}", "cache.ttl");
        refused("\"cache\":{\"ttl\":\"10s\",\"waitTimeout\":\"20s\"}", "cache.waitTimeout");
        refused("\"cache\":{\"ttl\":\"10s\",\"waitTimeout\":\"50ms\"}", "cache.waitTimeout");
        refused("\"cache\":{\"ttl\":\"10s\",\"shared\":true}", "cache.shared");
        refused("\"cache\":\"60s\"", "cache");
        refused("\"cache\":{\"ttl\":\"10s\"},\"pagination\":{\"type\":\"auto\"}", "cache");
        assertThat(jdbc.sql("SELECT count(*) FROM jobs").query(Integer.class).single()).isZero();
    }

    @Test
    void goodSettingsAreSavedWithTheirDefaultsAndCanBeCleared() {
        Api.Response created = alice.post("/api/v1/jobs",
                "{\"url\":\"https://api.example.com/rates\",\"interval\":\"30s\",\"cache\":{\"ttl\":\"1m\"}}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode cache = created.json().get("cache");
        assertThat(cache.get("ttl").asString()).isEqualTo("PT1M");
        assertThat(cache.get("waitTimeout").asString()).as("the ttl, at most 10s").isEqualTo("PT10S");

        Api.Response shortTtl = alice.post("/api/v1/jobs",
                "{\"url\":\"https://api.example.com/rates\",\"interval\":\"30s\",\"cache\":{\"ttl\":\"2s\"}}");
        assertThat(shortTtl.json().get("cache").get("waitTimeout").asString()).isEqualTo("PT2S");

        String id = created.json().get("id").asString();
        Api.Response changed = alice.patch("/api/v1/jobs/" + id, "{\"cache\":{\"ttl\":\"5m\",\"waitTimeout\":\"100ms\"}}");
        assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
        assertThat(changed.json().get("cache").get("waitTimeout").asString()).isEqualTo("PT0.1S");
        Api.Response cleared = alice.patch("/api/v1/jobs/" + id, "{\"cache\":null}");
        assertThat(cleared.json().get("cache").isNull()).isTrue();
    }

    private void refused(String field, String named) {
        Api.Response answer = alice.post("/api/v1/jobs", "{\"url\":\"https://api.example.com/x\",\"interval\":\"1h\"," + field + "}");
        assertThat(answer.status()).as(field + " → " + answer).isEqualTo(400);
        assertThat(answer.body()).as(field).contains("\"" + named + "\"");
    }
}
