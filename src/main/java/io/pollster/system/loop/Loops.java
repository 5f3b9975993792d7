package io.pollster.system.loop;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Makes this process's background loops and reports on them: the {@code loops} health indicator
 * (in the liveness group) is DOWN when a loop that should run has no thread any more, or when one
 * of its rounds has run longer than {@link #HUNG} (every round's work is bounded far below that:
 * such a loop is stuck, and restarting the process is the cure), and shows each loop's failures.
 */
@Component("loops")
public class Loops implements HealthIndicator {

    static final Duration HUNG = Duration.ofMinutes(10);

    private final List<BackgroundLoop> loops = new CopyOnWriteArrayList<>();
    private final Clock clock;

    public Loops(Clock clock) {
        this.clock = clock;
    }

    /** A new loop, not yet started. */
    public BackgroundLoop create(String name, Duration failureBackoff, BackgroundLoop.Body body) {
        BackgroundLoop loop = new BackgroundLoop(name, failureBackoff, body, clock);
        loops.removeIf(existing -> !existing.isRunning() && existing.name().equals(name));
        loops.add(loop);
        return loop;
    }

    @Override
    public Health health() {
        Map<String, Object> details = new LinkedHashMap<>();
        boolean up = true;
        for (BackgroundLoop loop : loops) {
            if (!loop.isRunning()) {
                continue;
            }
            boolean alive = loop.alive();
            Instant roundStarted = loop.roundStartedAt();
            boolean hung = roundStarted != null && Duration.between(roundStarted, clock.instant()).compareTo(HUNG) > 0;
            up &= alive && !hung;
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("alive", alive);
            if (hung) {
                detail.put("hungSince", roundStarted.toString());
            }
            detail.put("failures", loop.failures());
            if (loop.lastFailure() != null) {
                detail.put("lastFailure", loop.lastFailure());
            }
            if (loop.lastRoundEndedAt() != null) {
                detail.put("lastRoundEndedAt", loop.lastRoundEndedAt().toString());
            }
            details.put(loop.name(), detail);
        }
        return (up ? Health.up() : Health.down()).withDetails(details).build();
    }
}
