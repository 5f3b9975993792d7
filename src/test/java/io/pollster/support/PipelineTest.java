package io.pollster.support;

import org.junit.jupiter.api.AfterEach;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A Pollster whose scheduler and poller run for real against a {@link StubUpstream} on loopback
 * (private networks allowed, as the stub lives there). Its context is closed after the class, so
 * its scheduler never fires the jobs of the next pipeline class, which shares the database.
 */
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
public abstract class PipelineTest extends IntegrationTest {

    protected final StubUpstream upstream = new StubUpstream();

    @DynamicPropertySource
    static void pipeline(DynamicPropertyRegistry registry) {
        registry.add("pollster.scheduler.enabled", () -> "true");
        registry.add("pollster.scheduler.poll-interval", () -> "20ms");
        registry.add("pollster.poller.enabled", () -> "true");
        registry.add("pollster.queue.poll-interval", () -> "20ms");
        registry.add("pollster.fetch.allow-private-networks", () -> "true");
        registry.add("pollster.max-body-size", () -> "64KB");
        registry.add("pollster.retention.versions", () -> "3");
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }
}
