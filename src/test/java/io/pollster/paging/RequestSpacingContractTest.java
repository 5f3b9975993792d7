package io.pollster.paging;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.pollster.support.IntegrationTest;
import io.pollster.support.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/** One contract for request spacing, on PostgreSQL and on the real local Redis. */
class RequestSpacingContractTest extends IntegrationTest {

    private static final String PREFIX = "pollster-test-" + UUID.randomUUID() + ":";
    private static LettuceConnectionFactory redisConnections;
    private static StringRedisTemplate redis;

    @Autowired
    private JdbcClient jdbc;

    @BeforeAll
    static void connectRedis() {
        redisConnections = TestRedis.connect();
        redis = new StringRedisTemplate(redisConnections);
    }

    @AfterAll
    static void dropKeys() {
        TestRedis.dropAndClose(redisConnections, PREFIX);
    }

    private RequestSpacing backend(String name) {
        return name.equals("redis") ? new RedisRequestSpacing(redis, PREFIX + UUID.randomUUID() + ":")
                : new PostgresRequestSpacing(jdbc);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aSlotIsTakenOncePerIntervalAndTheWaitSaysWhenTheNextFrees(String name) throws Exception {
        RequestSpacing spacing = backend(name);
        String key = "job:" + UUID.randomUUID();

        assertThat(spacing.take(key, Duration.ofMillis(500))).isZero();
        Duration wait = spacing.take(key, Duration.ofMillis(500));
        assertThat(wait).isPositive().isLessThanOrEqualTo(Duration.ofMillis(500));
        Thread.sleep(wait.toMillis() + 20);
        assertThat(spacing.take(key, Duration.ofMillis(500))).isZero();
        assertThat(spacing.take("job:" + UUID.randomUUID(), Duration.ofMillis(500))).as("another key").isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void manyTakersTogetherGetNoMoreThanOneSlotPerInterval(String name) throws Exception {
        RequestSpacing spacing = backend(name);
        String key = "job:" + UUID.randomUUID();
        List<Long> granted = Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        try (ExecutorService takers = Executors.newFixedThreadPool(8)) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(takers.submit(() -> {
                    while (System.nanoTime() < end) {
                        Duration wait = spacing.take(key, Duration.ofMillis(100));
                        if (wait.isZero()) {
                            granted.add(System.nanoTime());
                        } else {
                            Thread.sleep(Math.min(wait.toMillis(), 20));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        }
        List<Long> times = granted.stream().sorted().toList();
        assertThat(times.size()).as("slots in 1.5 s at one per 100 ms").isBetween(10, 16);
        for (int i = 0; i + 10 < times.size(); i++) {
            assertThat(times.get(i + 10) - times.get(i)).as("11 slots span a second").isGreaterThan(900_000_000L);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aPauseHoldsEveryTakerAndIsListedUntilItEnds(String name) throws Exception {
        RequestSpacing spacing = backend(name);
        String host = "api-" + UUID.randomUUID() + ".example.com";

        spacing.pause("host:" + host, Duration.ofMillis(800));
        spacing.pause("host:" + host, Duration.ofMillis(100)); // never shortens a pause
        assertThat(spacing.take("host:" + host, Duration.ofMillis(1))).as("a taker waits").isGreaterThan(Duration.ofMillis(500));
        Map<String, Instant> paused = spacing.pausedUnder("host:");
        assertThat(paused).containsKey(host);
        assertThat(paused.get(host)).isBetween(Instant.now().plusMillis(500), Instant.now().plusMillis(900));

        Thread.sleep(900);
        assertThat(spacing.pausedUnder("host:")).doesNotContainKey(host);
        assertThat(spacing.take("host:" + host, Duration.ofMillis(1))).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aUsersPauseOfAnOriginIsItsOwnAndOnlyThatOrigins(String name) {
        RequestSpacing spacing = backend(name);
        String host = "api-" + UUID.randomUUID() + ".example.com";
        var bob = new io.pollster.user.UserId(UUID.randomUUID());
        var alice = new io.pollster.user.UserId(UUID.randomUUID());
        OriginPause bobs = new OriginPause(bob, new io.pollster.fetch.Origin("https", host, 8443));
        OriginPause bobsOnIpv6 = new OriginPause(bob, new io.pollster.fetch.Origin("http", "::1", 9000));

        spacing.pause(RequestLimits.PAUSE + bobs.storeKey(), Duration.ofSeconds(5));
        spacing.pause(RequestLimits.PAUSE + bobsOnIpv6.storeKey(), Duration.ofSeconds(5));

        List<OriginPause> paused = spacing.pausedUnder(RequestLimits.PAUSE).keySet().stream()
                .flatMap(key -> OriginPause.parse(key).stream()).toList();
        assertThat(paused).contains(bobs, bobsOnIpv6)
                .doesNotContain(new OriginPause(alice, bobs.origin()),
                        new OriginPause(bob, new io.pollster.fetch.Origin("https", host, 443)));
    }
}
