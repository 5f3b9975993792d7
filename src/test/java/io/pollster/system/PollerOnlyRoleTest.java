package io.pollster.system;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** A process with only the poller role serves no API and fires nothing, but still reports health. */
@TestPropertySource(properties = {"pollster.roles=poller", "pollster.scheduler.enabled=true"})
class PollerOnlyRoleTest extends IntegrationTest {

    @Autowired
    private java.util.List<SmartLifecycle> lifecycles;

    @Test
    void servesHealthButNoApiAndRunsNoScheduler() {
        Api.Response api = admin().get("/api/v1/me");
        assertThat(api.status()).isEqualTo(404);
        assertThat(api.contentType()).startsWith("application/problem+json");
        assertThat(api().get("/actuator/health").json().get("status").asString()).isEqualTo("UP");
        assertThat(lifecycles).filteredOn(l -> l.getClass().getSimpleName().equals("SchedulerLoop"))
                .allSatisfy(l -> assertThat(l.isRunning()).isFalse());
        assertThat(lifecycles).filteredOn(l -> l.getClass().getSimpleName().equals("IngestPipeline"))
                .allSatisfy(l -> assertThat(l.isRunning()).isFalse());
    }
}
