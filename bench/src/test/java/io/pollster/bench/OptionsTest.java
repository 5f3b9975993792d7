package io.pollster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void readsTheScenarioAndItsOptions() {
        Options o = Options.parse("poll-path", "--duration", "45s", "--jobs", "10_000", "--etag", "--change-fraction", "0.1");
        assertEquals("poll-path", o.scenario());
        assertEquals(Duration.ofSeconds(45), o.window(Duration.ofSeconds(20), Duration.ofSeconds(3)));
        assertEquals(10_000, o.jobs(2_000, 200));
        assertTrue(o.etag());
        assertEquals(0.1, o.changeFraction());
    }

    @Test
    void smokeSizesApplyUnlessOverridden() {
        Options o = Options.parse("all", "--smoke");
        assertEquals(Duration.ofSeconds(3), o.window(Duration.ofSeconds(20), Duration.ofSeconds(3)));
        assertEquals(2_000, o.jobs(1_000_000, 2_000));
        assertEquals(16, Options.parse("ingest").clients(16, 4));
    }

    @Test
    void pagingHasItsPagesAndUpstreamDelay() {
        Options o = Options.parse("paging", "--pages", "250", "--upstream-delay", "0ms");
        assertEquals(250, o.pages(1_000, 100));
        assertEquals(Duration.ZERO, o.upstreamDelay(Duration.ofMillis(10)));
        assertEquals(100, Options.parse("paging", "--smoke").pages(1_000, 100));
        assertEquals(Duration.ofMillis(10), Options.parse("paging").upstreamDelay(Duration.ofMillis(10)));
        assertTrue(Options.SCENARIOS.contains("paging"));
    }

    @Test
    void upstreamCostHasItsTtlAndHour() {
        Options o = Options.parse("upstream-cost", "--ttl", "4s", "--hour", "2m");
        assertEquals(Duration.ofSeconds(4), o.ttl(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertEquals(Duration.ofMinutes(2), o.hour(Duration.ofSeconds(60), Duration.ofSeconds(10)));
        assertEquals(Duration.ofSeconds(1), Options.parse("upstream-cost", "--smoke").ttl(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertTrue(Options.SCENARIOS.contains("upstream-cost"));
        assertThrows(IllegalArgumentException.class, () -> Options.parse("upstream-cost", "--ttl", "500ms"));
        assertThrows(IllegalArgumentException.class, () -> Options.parse("upstream-cost", "--hour", "2h"));
    }

    @Test
    void parsesDurationsAsOperatorsWriteThem() {
        assertEquals(Duration.ofMillis(500), Options.duration("500ms"));
        assertEquals(Duration.ofMinutes(10), Options.duration("10m"));
        assertEquals(Duration.ofSeconds(30), Options.duration("30s"));
        assertThrows(IllegalArgumentException.class, () -> Options.duration("soon"));
    }

    @Test
    void refusesWhatItDoesNotKnow() {
        assertThrows(IllegalArgumentException.class, () -> Options.parse("everything"));
        assertThrows(IllegalArgumentException.class, () -> Options.parse("scheduler", "--fast"));
        assertThrows(IllegalArgumentException.class, () -> Options.parse("poll-path", "--change-fraction", "2"));
        assertThrows(IllegalArgumentException.class, () -> Options.parse("paging", "--pages", "0"));
        assertThrows(IllegalArgumentException.class, Options::parse);
    }
}
