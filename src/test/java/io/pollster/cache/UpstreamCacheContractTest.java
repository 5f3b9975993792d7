package io.pollster.cache;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import javax.sql.DataSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pollster.fetch.FetchRequest;
import io.pollster.fetch.FetchResult;
import io.pollster.support.IntegrationTest;
import io.pollster.support.TestRedis;
import io.pollster.system.Roles;
import io.pollster.system.loop.Loops;
import io.pollster.system.secret.SecretBox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One contract for the shared upstream cache, on PostgreSQL and on the real local Redis: one call
 * for many polls, waiters woken by the backend's notification (their fallback poll is set longer
 * than the test, so only a notification can wake them), fencing, a dead holder's lease running out,
 * failures kept briefly, timeouts, revalidation with the kept validators, and no secret in the store.
 */
class UpstreamCacheContractTest extends IntegrationTest {

    private static final String PREFIX = "pollster-test-" + UUID.randomUUID() + ":";
    private static final Duration LONG = Duration.ofMinutes(5);
    private static final UUID ALICE = UUID.randomUUID();
    private static final UUID BOB = UUID.randomUUID();
    private static final long MAX_ENTRY = 1024 * 1024;
    private static final java.util.function.LongPredicate ANY = bytes -> true;
    private static LettuceConnectionFactory redisConnections;
    private static RedisTemplate<String, byte[]> redis;

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private DataSource dataSource;
    @Autowired
    private SecretBox secrets;
    @Autowired
    private Loops loops;
    @Autowired
    private Roles roles;

    private final List<AutoCloseable> started = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private CacheBackend backend;

    @BeforeAll
    static void connectRedis() {
        redisConnections = TestRedis.connect();
        redis = new RedisTemplate<>();
        redis.setConnectionFactory(redisConnections);
        redis.setKeySerializer(RedisSerializer.string());
        redis.setValueSerializer(RedisSerializer.byteArray());
        redis.setHashKeySerializer(RedisSerializer.string());
        redis.setHashValueSerializer(RedisSerializer.byteArray());
        redis.afterPropertiesSet();
    }

    @AfterAll
    static void dropKeys() {
        TestRedis.dropAndClose(redisConnections, PREFIX);
    }

    @AfterEach
    void stopListeners() throws Exception {
        for (AutoCloseable closeable : started) {
            closeable.close();
        }
    }

    private static List<String> redisKeys() {
        return TestRedis.keys(redisConnections, PREFIX);
    }

    /** A cache on {@code name}, its waiters woken by that backend's notifications. */
    private UpstreamCache cache(String name, Duration fallbackPoll) {
        return cache(name, fallbackPoll, MAX_ENTRY);
    }

    private UpstreamCache cache(String name, Duration fallbackPoll, long maxEntry) {
        CacheWaiters waiters = new CacheWaiters();
        if (name.equals("redis")) {
            RedisCacheBackend redisBackend = new RedisCacheBackend(redis, PREFIX);
            RedisMessageListenerContainer container = new RedisMessageListenerContainer();
            container.setConnectionFactory(redisConnections);
            container.addMessageListener((message, pattern) ->
                            waiters.landed(new String(message.getBody(), StandardCharsets.UTF_8)),
                    new ChannelTopic(RedisCacheBackend.channel(PREFIX)));
            container.afterPropertiesSet();
            container.start();
            started.add(container::destroy);
            backend = redisBackend;
        } else {
            PostgresCacheBackend postgres = new PostgresCacheBackend(dataSource);
            PostgresCacheListener listener = new PostgresCacheListener(dataSource, waiters, postgres, roles, loops);
            listener.start();
            started.add(listener::stop);
            backend = postgres;
        }
        sleep(300); // the subscription is made
        return new UpstreamCache(backend, waiters, new RequestKey(secrets), Clock.systemUTC(), meters, maxEntry, fallbackPoll);
    }

    /** A poll of {@link #ALICE}'s. */
    private static UpstreamCache.Call call(FetchRequest request, Duration ttl, Duration waitTimeout, Duration lease) {
        return new UpstreamCache.Call(request, ALICE, ttl, waitTimeout, lease);
    }

    private static FetchRequest request(String path, Map<String, String> secretHeaders) {
        return new FetchRequest("GET", URI.create("https://api.example.com/" + path), Map.of("Accept", "application/json"),
                secretHeaders, null, Duration.ofSeconds(5), null, null);
    }

    private static FetchResult.Fetched ok(String body, String etag) {
        return new FetchResult.Fetched(200, "application/json", etag, null, null, body.getBytes(StandardCharsets.UTF_8),
                Duration.ofMillis(1));
    }

    private static Function<FetchRequest, FetchResult> counting(AtomicInteger calls, long delayMs, FetchResult answer) {
        return sent -> {
            calls.incrementAndGet();
            sleep(delayMs);
            return answer;
        };
    }

    private double count(String result) {
        return meters.counter("pollster.cache.requests", "result", result).count();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void manyPollsAtOnceMakeOneCallAndTheWaitersAreWokenWhenItLands(String name) throws Exception {
        UpstreamCache cache = cache(name, LONG);
        FetchRequest request = request("rates-" + UUID.randomUUID(), Map.of());
        AtomicInteger calls = new AtomicInteger();
        List<Future<UpstreamCache.Shared>> polls = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            UpstreamCache.Call call = call(request, Duration.ofSeconds(30), Duration.ofSeconds(20),
                    Duration.ofSeconds(10));
            for (int i = 0; i < 20; i++) {
                polls.add(pool.submit(() -> {
                    UpstreamCache.Shared shared = cache.fetch(call, ANY, counting(calls, 500, ok("{\"eur\":1.1}", "\"v1\"")));
                    while (shared instanceof UpstreamCache.Crowded) { // back on the queue, for a moment
                        sleep(50);
                        shared = cache.fetch(call, ANY, counting(calls, 500, ok("{}", null)));
                    }
                    return shared;
                }));
            }
            for (Future<UpstreamCache.Shared> poll : polls) {
                UpstreamCache.Shared shared = poll.get();
                assertThat(shared).isInstanceOf(UpstreamCache.Answer.class);
                FetchResult result = ((UpstreamCache.Answer) shared).result();
                assertThat(new String(((FetchResult.Fetched) result).body(), StandardCharsets.UTF_8)).isEqualTo("{\"eur\":1.1}");
            }
        }
        assertThat(calls).as("upstream calls").hasValue(1);
        assertThat(count("miss")).isEqualTo(1);
        assertThat(count("hit") + count("coalesced")).isEqualTo(19);
        assertThat(count("coalesced")).as("polls that waited for the call").isPositive();

        UpstreamCache.Answer later = (UpstreamCache.Answer) cache.fetch(call(request, Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofSeconds(10)), ANY, counting(calls, 0, ok("{}", null)));
        assertThat(later.cached()).isTrue();
        assertThat(calls).hasValue(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void onlyIdenticalSecretsShareAndNoSecretReachesTheStore(String name) {
        UpstreamCache cache = cache(name, LONG);
        String path = "private-" + UUID.randomUUID();
        String alice = "Bearer alice-" + UUID.randomUUID();
        String bob = "Bearer bob-" + UUID.randomUUID();
        AtomicInteger calls = new AtomicInteger();
        for (String secret : List.of(alice, bob, alice, bob)) {
            cache.fetch(call(request(path, Map.of("Authorization", secret)), Duration.ofSeconds(30), Duration.ofSeconds(1),
                    Duration.ofSeconds(10)), ANY, counting(calls, 0, ok("{\"for\":\"" + secret.hashCode() + "\"}", null)));
        }
        assertThat(calls).as("one call per distinct credential").hasValue(2);
        // a secret sent in clear by one job and as secret by another is the same request
        cache.fetch(call(new FetchRequest("GET", URI.create("https://api.example.com/" + path),
                        Map.of("accept", "application/json", "authorization", alice), Map.of(), null, Duration.ofSeconds(5),
                        null, null), Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(10)), ANY,
                counting(calls, 0, ok("{}", null)));
        assertThat(calls).hasValue(2);

        if (name.equals("redis")) {
            for (String key : redisKeys()) {
                assertThat(key).doesNotContain("alice", "bob");
                if ("hash".equals(redis.type(key).code())) {
                    redis.<String, byte[]>opsForHash().entries(key).forEach((field, value) ->
                            assertThat(new String(value, StandardCharsets.ISO_8859_1)).doesNotContain("alice", "bob"));
                } else {
                    assertThat(new String(redis.opsForValue().get(key), StandardCharsets.ISO_8859_1)).doesNotContain("alice");
                }
            }
        } else {
            List<String> rows = jdbc.sql("SELECT concat_ws('|', encode(key, 'escape'), etag, last_modified, "
                    + "encode(answer, 'escape')) FROM cache_entries").query(String.class).list();
            assertThat(rows).isNotEmpty().allSatisfy(row -> assertThat(row).doesNotContain("alice", "bob"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aHolderWhoseLeaseRanOutCannotOverwriteTheNextHoldersAnswer(String name) {
        cache(name, LONG);
        byte[] key = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
        CacheBackend.Won first = (CacheBackend.Won) backend.lookup(key, LONG, Duration.ofMillis(300), null, null, 1024);
        assertThat(backend.lookup(key, LONG, Duration.ofMillis(300), null, null, 1024)).as("the lease is held")
                .isInstanceOf(CacheBackend.Busy.class);
        sleep(450);
        CacheBackend.Won second = (CacheBackend.Won) backend.lookup(key, LONG, Duration.ofSeconds(10), null, null, 1024);
        assertThat(second.fence()).isGreaterThan(first.fence());
        assertThat(backend.store(key, second.fence(), CachedAnswer.encode(ok("new", "\"2\"")), "\"2\"", null, ALICE,
                Duration.ofMinutes(1), Duration.ofMinutes(1))).isTrue();
        assertThat(backend.store(key, first.fence(), CachedAnswer.encode(ok("old", "\"1\"")), "\"1\"", null, ALICE,
                Duration.ofMinutes(1), Duration.ofMinutes(1))).as("the stale holder's write").isFalse();
        CacheBackend.Hit hit = (CacheBackend.Hit) backend.lookup(key, LONG, Duration.ofSeconds(10), null, null, 1024);
        assertThat(new String(((FetchResult.Fetched) CachedAnswer.decode(hit.answer(), Duration.ZERO)).body(),
                StandardCharsets.UTF_8)).isEqualTo("new");
        assertThat(backend.lookup(key, LONG, Duration.ofSeconds(10), "\"2\"", null, 1024)).as("the job's own validators")
                .isInstanceOf(CacheBackend.Same.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aDeadHoldersLeaseRunsOutAndAWaiterTakesOver(String name) {
        UpstreamCache cache = cache(name, Duration.ofMillis(100));
        FetchRequest request = request("dead-" + UUID.randomUUID(), Map.of());
        byte[] key = new RequestKey(secrets).of(request);
        assertThat(backend.lookup(key, LONG, Duration.ofMillis(600), null, null, 1024)).isInstanceOf(CacheBackend.Won.class); // then dies
        AtomicInteger calls = new AtomicInteger();
        UpstreamCache.Shared shared = cache.fetch(call(request, Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(5)), ANY,
                counting(calls, 0, ok("{\"ok\":true}", null)));
        assertThat(shared).isInstanceOfSatisfying(UpstreamCache.Answer.class, a -> assertThat(a.cached()).isFalse());
        assertThat(calls).hasValue(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void failuresAreKeptForFiveSecondsAtMostAndSlowCallsTimeWaitersOut(String name) throws Exception {
        UpstreamCache cache = cache(name, LONG);
        FetchRequest failing = request("failing-" + UUID.randomUUID(), Map.of());
        AtomicInteger calls = new AtomicInteger();
        var error = new FetchResult.Failed(500, "HTTP 500", true, null, Duration.ofMillis(1), true);
        UpstreamCache.Answer first = (UpstreamCache.Answer) cache.fetch(call(failing, Duration.ofMinutes(1), Duration.ofSeconds(1),
                Duration.ofSeconds(5)), ANY, counting(calls, 0, error));
        UpstreamCache.Answer second = (UpstreamCache.Answer) cache.fetch(call(failing, Duration.ofMinutes(1), Duration.ofSeconds(1),
                Duration.ofSeconds(5)), ANY, counting(calls, 0, error));
        assertThat(first.cached()).isFalse();
        assertThat(second.cached()).isTrue();
        assertThat(second.result()).isInstanceOf(FetchResult.Failed.class);
        assertThat(second.freshLeft()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(5));
        assertThat(calls).hasValue(1);

        FetchRequest quick = request("quick-" + UUID.randomUUID(), Map.of());
        cache.fetch(call(quick, Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(5)), ANY, counting(calls, 0, error));
        sleep(1_100); // a failure is kept for min(ttl, 5s): here one second
        cache.fetch(call(quick, Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(5)), ANY, counting(calls, 0, error));
        assertThat(calls).as("asked again once the failure went").hasValue(3);

        FetchRequest slow = request("slow-" + UUID.randomUUID(), Map.of());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<UpstreamCache.Shared> holder = pool.submit(() -> cache.fetch(call(slow, Duration.ofSeconds(30),
                    Duration.ofSeconds(5), Duration.ofSeconds(10)), ANY, counting(calls, 2_000, ok("{}", null))));
            sleep(300);
            UpstreamCache.Shared waiter = cache.fetch(call(slow, Duration.ofSeconds(30), Duration.ofMillis(300),
                    Duration.ofSeconds(10)), ANY, counting(calls, 0, ok("{}", null)));
            assertThat(waiter).isInstanceOf(UpstreamCache.TimedOut.class);
            assertThat(holder.get()).isInstanceOf(UpstreamCache.Answer.class);
        }
        assertThat(count("timeout")).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aStaleAnswerIsRevalidatedWithItsValidatorsAndAJobWithTheSameOnesGetsA304(String name) {
        UpstreamCache cache = cache(name, LONG);
        FetchRequest request = request("etag-" + UUID.randomUUID(), Map.of());
        AtomicInteger calls = new AtomicInteger();
        cache.fetch(call(request, Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(5)), ANY,
                counting(calls, 0, ok("{\"v\":1}", "\"v1\"")));
        sleep(1_100);
        List<String> sent = new ArrayList<>();
        FetchRequest withValidators = new FetchRequest("GET", request.url(), request.headers(), Map.of(), null,
                request.timeout(), "\"v0\"", null);
        UpstreamCache.Answer revalidated = (UpstreamCache.Answer) cache.fetch(call(withValidators, Duration.ofSeconds(1),
                Duration.ofMillis(500), Duration.ofSeconds(5)), ANY, r -> {
                    sent.add(r.ifNoneMatch());
                    return new FetchResult.NotModified("\"v1\"", null, Duration.ofMillis(1));
                });
        assertThat(sent).as("the shared call sends the kept answer's validators").containsExactly("\"v1\"");
        assertThat(revalidated.result()).as("the job had another version: it gets the kept body")
                .isInstanceOfSatisfying(FetchResult.Fetched.class,
                        f -> assertThat(new String(f.body(), StandardCharsets.UTF_8)).isEqualTo("{\"v\":1}"));
        FetchRequest current = new FetchRequest("GET", request.url(), request.headers(), Map.of(), null, request.timeout(),
                "\"v1\"", null);
        UpstreamCache.Answer same = (UpstreamCache.Answer) cache.fetch(call(current, Duration.ofSeconds(1), Duration.ofMillis(500),
                Duration.ofSeconds(5)), ANY, counting(calls, 0, ok("{}", null)));
        assertThat(same.result()).isInstanceOf(FetchResult.NotModified.class);
        assertThat(calls).hasValue(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aLargeAnswerIsReadOnlyOnceThePollHasTheMemoryForIt(String name) {
        UpstreamCache cache = cache(name, LONG);
        FetchRequest request = request("large-" + UUID.randomUUID(), Map.of());
        String large = "x".repeat(200_000);
        AtomicInteger calls = new AtomicInteger();
        UpstreamCache.Call call = call(request, Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofSeconds(5));
        cache.fetch(call, ANY, counting(calls, 0, ok(large, null)));
        List<Long> asked = new ArrayList<>();
        UpstreamCache.Answer refused = (UpstreamCache.Answer) cache.fetch(call, bytes -> asked.add(bytes) && false,
                counting(calls, 0, ok("{}", null)));
        assertThat(refused.result()).isInstanceOf(FetchResult.OutOfBudget.class);
        assertThat(asked).singleElement().satisfies(bytes -> assertThat(bytes).isGreaterThan(200_000L));
        UpstreamCache.Answer read = (UpstreamCache.Answer) cache.fetch(call, ANY, counting(calls, 0, ok("{}", null)));
        assertThat(new String(((FetchResult.Fetched) read.result()).body(), StandardCharsets.UTF_8)).isEqualTo(large);
        assertThat(calls).hasValue(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void onlyAFewPollsOfANodeWaitInTheirSlotsAndAnInterruptedCallIsNotShared(String name) throws Exception {
        UpstreamCache cache = cache(name, LONG);
        FetchRequest request = request("crowd-" + UUID.randomUUID(), Map.of());
        UpstreamCache.Call call = call(request, Duration.ofSeconds(30), Duration.ofSeconds(5),
                Duration.ofSeconds(10));
        AtomicInteger calls = new AtomicInteger();
        List<Future<UpstreamCache.Shared>> polls = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            polls.add(pool.submit(() -> cache.fetch(call, ANY, counting(calls, 1_500, ok("{}", null)))));
            sleep(200);
            for (int i = 0; i < 12; i++) {
                polls.add(pool.submit(() -> cache.fetch(call, ANY, counting(calls, 0, ok("{}", null)))));
            }
            long crowded = 0;
            for (Future<UpstreamCache.Shared> poll : polls) {
                if (poll.get() instanceof UpstreamCache.Crowded c) {
                    assertThat(c.retryIn()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(5));
                    crowded++;
                }
            }
            assertThat(crowded).as("polls sent back to the queue").isBetween(12L - UpstreamCache.WAITERS_PER_KEY, 12L);
        }
        assertThat(calls).hasValue(1);

        FetchRequest cut = request("cut-" + UUID.randomUUID(), Map.of());
        UpstreamCache.Call cutCall = call(cut, Duration.ofSeconds(30), Duration.ofSeconds(1),
                Duration.ofSeconds(10));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            pool.submit(() -> cache.fetch(cutCall, ANY, sent -> {
                Thread.currentThread().interrupt(); // the node stops mid-call
                return new FetchResult.Failed(null, "interrupted", false, null, Duration.ZERO);
            })).get();
        }
        UpstreamCache.Answer after = (UpstreamCache.Answer) cache.fetch(cutCall, ANY, counting(calls, 0, ok("{}", null)));
        assertThat(after.cached()).as("the cut call shared nothing and gave its lease back").isFalse();
        assertThat(after.result()).isInstanceOf(FetchResult.Fetched.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aReadersShortTtlHoldsBesideAnotherTenantsDayLongOne(String name) {
        UpstreamCache cache = cache(name, LONG);
        FetchRequest request = request("fresh-" + UUID.randomUUID(), Map.of());
        AtomicInteger calls = new AtomicInteger();
        Function<FetchRequest, FetchResult> upstream = sent -> ok("{\"n\":" + calls.incrementAndGet() + "}", null);
        UpstreamCache.Call bobs = new UpstreamCache.Call(request, BOB, Duration.ofDays(1), Duration.ofSeconds(1),
                Duration.ofSeconds(5));
        UpstreamCache.Call alices = call(request, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(5));
        cache.fetch(bobs, ANY, upstream);
        UpstreamCache.Answer young = (UpstreamCache.Answer) cache.fetch(alices, ANY, upstream);
        assertThat(young.cached()).as("younger than Alice's ttl").isTrue();
        assertThat(young.mine()).as("Bob's call").isFalse();
        assertThat(young.freshLeft()).as("for Alice's ttl, not Bob's day").isLessThanOrEqualTo(Duration.ofSeconds(1));
        sleep(1_100);
        UpstreamCache.Answer renewed = (UpstreamCache.Answer) cache.fetch(alices, ANY, upstream);
        assertThat(renewed.cached()).as("older than Alice's ttl: she asks again").isFalse();
        assertThat(body(renewed)).isEqualTo("{\"n\":2}");
        UpstreamCache.Answer bobLater = (UpstreamCache.Answer) cache.fetch(bobs, ANY, upstream);
        assertThat(body(bobLater)).as("Bob takes the newer answer within his day").isEqualTo("{\"n\":2}");
        assertThat(bobLater.mine()).isFalse();
        assertThat(calls).hasValue(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aFailureOfTheHoldersOwnSettingsReachesNoOtherPoll(String name) throws Exception {
        UpstreamCache cache = cache(name, LONG);
        FetchRequest request = request("timeout-" + UUID.randomUUID(), Map.of());
        AtomicInteger calls = new AtomicInteger();
        UpstreamCache.Call bobs = new UpstreamCache.Call(request, BOB, Duration.ofMinutes(1), Duration.ofSeconds(1),
                Duration.ofSeconds(5));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<UpstreamCache.Shared> bob = pool.submit(() -> cache.fetch(bobs, ANY,
                    counting(calls, 300, new FetchResult.Failed(null, "timed out after 300ms", true, null, Duration.ZERO))));
            sleep(100);
            UpstreamCache.Answer alice = (UpstreamCache.Answer) cache.fetch(
                    call(request, Duration.ofMinutes(1), Duration.ofSeconds(5), Duration.ofSeconds(5)), ANY,
                    counting(calls, 0, ok("{\"slow\":true}", null)));
            assertThat(((UpstreamCache.Answer) bob.get()).result()).isInstanceOf(FetchResult.Failed.class);
            assertThat(alice.cached()).as("Alice asked herself once Bob's lease came back").isFalse();
            assertThat(body(alice)).isEqualTo("{\"slow\":true}");
        }
        var tooLarge = new FetchResult.Failed(200, "response body larger than 10 bytes", false, null, Duration.ZERO);
        FetchRequest large = request("limit-" + UUID.randomUUID(), Map.of());
        cache.fetch(call(large, Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofSeconds(5)), ANY,
                counting(calls, 0, tooLarge));
        UpstreamCache.Answer next = (UpstreamCache.Answer) cache.fetch(new UpstreamCache.Call(large, BOB, Duration.ofMinutes(1),
                Duration.ofSeconds(1), Duration.ofSeconds(5)), ANY, counting(calls, 0, ok("{}", null)));
        assertThat(next.cached()).as("a body limit is the caller's").isFalse();
        assertThat(next.result()).isInstanceOf(FetchResult.Fetched.class);
        assertThat(calls).hasValue(4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void anAnswerOverTheEntryLimitIsNotKeptAndEachPollAsksForItself(String name) {
        UpstreamCache cache = cache(name, LONG, 1024);
        FetchRequest request = request("huge-" + UUID.randomUUID(), Map.of());
        AtomicInteger calls = new AtomicInteger();
        UpstreamCache.Call call = call(request, Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofSeconds(5));
        String large = "y".repeat(2_000);
        cache.fetch(call, ANY, counting(calls, 0, ok(large, null)));
        UpstreamCache.Answer second = (UpstreamCache.Answer) cache.fetch(call, ANY, counting(calls, 0, ok(large, null)));
        assertThat(second.cached()).isFalse();
        assertThat(body(second)).isEqualTo(large);
        assertThat(calls).hasValue(2);
        if (name.equals("postgres")) {
            assertThat(jdbc.sql("SELECT max(octet_length(answer)) FROM cache_entries").query(Long.class).single())
                    .isLessThan(1024L);
        } else {
            for (String key : redisKeys()) {
                if ("hash".equals(redis.type(key).code())) {
                    redis.<String, byte[]>opsForHash().entries(key).values()
                            .forEach(value -> assertThat(value.length).isLessThan(1024));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void aNodeWithAnotherSecretKeyIsToldItSharesNothing(String name) {
        cache(name, LONG);
        byte[] ours = new RequestKey(secrets).keyId(); // this context's, as its own check claims it
        byte[] another = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
        assertThat(backend.claimKeyCheck(ours, Duration.ofMinutes(1))).isTrue();
        assertThat(backend.claimKeyCheck(another, Duration.ofMinutes(1))).as("another key while ours is live").isFalse();
        assertThat(backend.claimKeyCheck(ours, Duration.ofMinutes(1))).isTrue();
    }

    private static String body(UpstreamCache.Answer answer) {
        return new String(((FetchResult.Fetched) answer.result()).body(), StandardCharsets.UTF_8);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
