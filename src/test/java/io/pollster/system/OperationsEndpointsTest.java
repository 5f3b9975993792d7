package io.pollster.system;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OperationsEndpointsTest extends IntegrationTest {

    @Test
    void healthWithLivenessAndReadinessIsUpWithoutAToken() {
        assertThat(api().get("/actuator/health").json().get("status").asString()).isEqualTo("UP");
        assertThat(api().get("/actuator/health/liveness").json().get("status").asString()).isEqualTo("UP");
        Api.Response readiness = api().get("/actuator/health/readiness");
        assertThat(readiness.status()).isEqualTo(200);
        assertThat(readiness.json().get("status").asString()).isEqualTo("UP");
    }

    @Test
    void prometheusMetricsAreServed() {
        Api.Response metrics = api().get("/actuator/prometheus");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("jvm_memory_used_bytes");
    }

    @Test
    void theOpenApiDocumentDescribesTheApiWithBearerAuth() {
        Api.Response docs = api().get("/v3/api-docs");

        assertThat(docs.status()).isEqualTo(200);
        var json = docs.json();
        assertThat(json.get("paths").has("/api/v1/users")).isTrue();
        assertThat(json.get("paths").has("/api/v1/me")).isTrue();
        assertThat(json.get("components").get("securitySchemes").has("bearer")).isTrue();
        assertThat(docs.body()).doesNotContain("\"caller\"");
    }

    @Test
    void swaggerUiIsServed() {
        Api.Response ui = api().get("/swagger-ui.html");
        assertThat(ui.status()).isEqualTo(200);
        assertThat(ui.body()).containsIgnoringCase("swagger");
    }
}
