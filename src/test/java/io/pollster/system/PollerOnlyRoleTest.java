package io.pollster.system;

import java.util.List;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** A process with only the poller role serves no API nor web UI, fires nothing and ingests nothing, but still reports health. */
// the scheduler and ingest are switched on, so that the role alone is what keeps them stopped
@TestPropertySource(properties = {"pollster.roles=poller", "pollster.scheduler.enabled=true", "pollster.ingest.enabled=true"})
class PollerOnlyRoleTest extends IntegrationTest {

    @Autowired
    private List<SmartLifecycle> lifecycles;

    @Test
    void servesHealthButNoApiAndRunsNoSchedulerNorIngest() {
        Api.Response api = admin().get("/api/v1/me");
        assertThat(api.status()).isEqualTo(404);
        assertThat(api.contentType()).startsWith("application/problem+json");
        assertThat(api().get("/actuator/health").json().get("status").asString()).isEqualTo("UP");
        assertThat(api().get("/login").status()).as("no web UI either").isEqualTo(404);
        assertThat(api().get("/").status()).isEqualTo(404);
        assertThat(lifecycles).filteredOn(l -> l.getClass().getSimpleName().equals("SchedulerLoop"))
                .singleElement().satisfies(l -> assertThat(l.isRunning()).as("the scheduler loop running").isFalse());
        assertThat(lifecycles).filteredOn(l -> l.getClass().getSimpleName().equals("IngestPipeline"))
                .singleElement().satisfies(l -> assertThat(l.isRunning()).as("the ingest pipeline running").isFalse());
    }
}
