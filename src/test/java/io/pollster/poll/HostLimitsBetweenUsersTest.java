package io.pollster.poll;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bob attacks what Alice shares with him on one upstream host: its 429 pauses and its request
 * slots. Neither his throttled requests nor his slow ones hold back Alice's job on the same host
 * and port, nor his own requests to the host's other ports.
 */
class HostLimitsBetweenUsersTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Longer than the pauses and downloads below: a request that comes sooner was not held back by them. */
    private static final long HELD_BACK_NANOS = 4_500_000_000L;

    @DynamicPropertySource
    static void twoSlotsPerHost(DynamicPropertyRegistry registry) {
        // one slot per user: with two, Bob's slow downloads could take the host from Alice on the old code
        registry.add("pollster.hosts.default-concurrency", () -> "2");
    }

    private final StubUpstream otherPort = new StubUpstream();
    private Api alice;
    private Api bob;

    @BeforeEach
    void users() {
        alice = api().as(createUser("alice"));
        bob = api().as(createUser("bob"));
    }

    @AfterEach
    void stopOtherPort() {
        otherPort.close();
    }

    @Test
    void anotherUsersThrottledRequestsDoNotPauseMyJobOnTheSameOrigin() {
        AtomicLong throttledAt = new AtomicLong();
        upstream.route("/bobs", n -> {
            throttledAt.compareAndSet(0, System.nanoTime());
            return Answer.status(429).withHeader("Retry-After", "6");
        });
        upstream.route("/alices", n -> Answer.json("{\"n\":" + n + "}"));
        job(bob, "{\"url\":\"%s\",\"interval\":\"1s\",\"retry\":{\"maxAttempts\":1}}".formatted(upstream.url("/bobs")));
        await("Bob's first 429").atMost(WAIT).until(() -> throttledAt.get() != 0);

        job(alice, "{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/alices")));

        assertThat(thirdRequestAfter(upstream, "/alices", throttledAt.get()))
                .as("Alice's third poll after Bob's 429, in ns after it").isLessThan(HELD_BACK_NANOS);
    }

    @Test
    void myOwn429PausesMyRequestsToThatOriginButNotToTheHostsOtherPorts() {
        AtomicLong throttledAt = new AtomicLong();
        upstream.route("/throttled", n -> {
            throttledAt.compareAndSet(0, System.nanoTime());
            return Answer.status(429).withHeader("Retry-After", "6");
        });
        upstream.route("/neighbour", n -> Answer.json("{\"n\":" + n + "}"));
        otherPort.route("/elsewhere", n -> Answer.json("{\"n\":" + n + "}"));
        job(bob, "{\"url\":\"%s\",\"interval\":\"1s\",\"retry\":{\"maxAttempts\":1}}".formatted(upstream.url("/throttled")));
        await("Bob's first 429").atMost(WAIT).until(() -> throttledAt.get() != 0);

        job(bob, "{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/neighbour")));
        job(bob, "{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(otherPort.url("/elsewhere")));

        assertThat(thirdRequestAfter(otherPort, "/elsewhere", throttledAt.get()))
                .as("Bob's third poll of the other port after his 429, in ns after it").isLessThan(HELD_BACK_NANOS);
        assertThat(upstream.requests("/neighbour")).as("his other job on the throttled origin, still paused").isEmpty();
        assertThat(upstream.requests("/throttled")).as("his throttled job, still paused").hasSize(1);
    }

    @Test
    void anotherUsersSlowDownloadsLeaveMeASlotOnTheirHost() {
        upstream.route("/tarpit", n -> Answer.json("{}").after(8_000));
        upstream.route("/quick", n -> Answer.json("{\"n\":" + n + "}"));
        for (int i = 0; i < 4; i++) {
            job(bob, "{\"url\":\"%s?%d\",\"interval\":\"1s\",\"timeout\":\"15s\"}".formatted(upstream.url("/tarpit"), i));
        }
        await("Bob's downloads are in flight").atMost(WAIT).until(() -> !upstream.requests("/tarpit").isEmpty());
        long tarpitted = System.nanoTime();

        job(alice, "{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/quick")));

        assertThat(thirdRequestAfter(upstream, "/quick", tarpitted))
                .as("Alice's third poll after Bob's downloads began, in ns after it").isLessThan(HELD_BACK_NANOS);
        assertThat(upstream.mostAtOnce("/tarpit")).as("Bob's share of the host's two slots").isEqualTo(1);
    }

    /** When (ns after {@code since}) the path got its third request after {@code since}. */
    private static long thirdRequestAfter(StubUpstream stub, String path, long since) {
        await("three requests to " + path).atMost(WAIT).until(() -> after(stub, path, since).size() >= 3);
        return after(stub, path, since).get(2) - since;
    }

    private static List<Long> after(StubUpstream stub, String path, long since) {
        return stub.requests(path).stream().map(StubUpstream.Request::receivedAt).filter(t -> t > since).sorted().toList();
    }

    private static void job(Api user, String body) {
        Api.Response created = user.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
    }
}
