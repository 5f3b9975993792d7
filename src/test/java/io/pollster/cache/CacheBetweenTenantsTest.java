package io.pollster.cache;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bob's jobs share a request with Alice's, with settings chosen to hurt her through the cache:
 * his ttl does not decide how old her answers are, his timeout does not fail her polls, and her
 * poll history does not tell her that someone else sends the same request.
 */
class CacheBetweenTenantsTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private Api alice;
    private Api bob;

    @BeforeEach
    void users() {
        alice = api().as(createUser("alice"));
        bob = api().as(createUser("bob"));
    }

    @Test
    void aReadersTwoSecondTtlHoldsBesideAnotherTenantsDayLongTtl() {
        AtomicInteger calls = new AtomicInteger();
        upstream.route("/rates", n -> Answer.json("{\"eur\":" + calls.incrementAndGet() + "}"));
        String bobs = job(bob, """
                {"url":"%s","interval":"1s","cache":{"ttl":"1d","waitTimeout":"2s"}}""".formatted(upstream.url("/rates")));
        await("Bob's first call").atMost(WAIT).until(() -> calls.get() == 1);
        String alices = job(alice, """
                {"url":"%s","interval":"1s","cache":{"ttl":"2s","waitTimeout":"2s"}}""".formatted(upstream.url("/rates")));
        await("Alice sees answers at most 2 s old: new ones every 2 s").atMost(WAIT)
                .until(() -> versions(alice, alices) >= 3);
        assertThat(stats(bob, bobs).get("failures").asInt()).isZero();
        assertThat(stats(alice, alices).get("failures").asInt()).isZero();
    }

    @Test
    void anotherTenantsShortTimeoutNeverFailsMyLongOneAgainstASlowUpstream() {
        upstream.route("/slow", n -> Answer.json("{\"slow\":true}").after(1_000));
        for (int i = 0; i < 2; i++) {
            job(bob, """
                    {"url":"%s","interval":"1s","timeout":"300ms","retry":{"maxAttempts":1},
                     "cache":{"ttl":"1m","waitTimeout":"5s"}}""".formatted(upstream.url("/slow")));
        }
        await("Bob's first call").atMost(WAIT).until(() -> !upstream.requests("/slow").isEmpty());
        String alices = job(alice, """
                {"url":"%s","interval":"1s","timeout":"10s","retry":{"maxAttempts":1},
                 "cache":{"ttl":"1m","waitTimeout":"10s"}}""".formatted(upstream.url("/slow")));
        await("three polls of Alice's").atMost(WAIT).until(() -> stats(alice, alices).get("polls").asInt() >= 3);
        assertThat(stats(alice, alices).get("failures").asInt()).as("failed polls of Alice's").isZero();
        assertThat(versions(alice, alices)).isEqualTo(1);
    }

    @Test
    void pollsShowAnAnswerAsCachedOnlyToTheUserWhosePollMadeTheCall() {
        upstream.route("/shared", n -> Answer.json("{\"n\":" + n + "}"));
        String bobs = job(bob, """
                {"url":"%s","interval":"1s","cache":{"ttl":"1h"}}""".formatted(upstream.url("/shared")));
        await("Bob's call").atMost(WAIT).until(() -> upstream.requests("/shared").size() == 1);
        String alices = job(alice, """
                {"url":"%s","interval":"1s","cache":{"ttl":"1h"}}""".formatted(upstream.url("/shared")));
        await("polls of both").atMost(WAIT).until(() -> stats(alice, alices).get("polls").asInt() >= 3
                && stats(bob, bobs).get("polls").asInt() >= 3);
        assertThat(upstream.requests("/shared")).as("Alice's polls took Bob's answer").hasSize(1);
        assertThat(cachedPolls(alice, alices)).as("Alice's polls shown as cached").isZero();
        assertThat(cachedPolls(bob, bobs)).as("Bob's own answer, shared with his later polls").isPositive();
    }

    private static long cachedPolls(Api user, String id) {
        return user.get("/api/v1/jobs/" + id + "/polls").json().get("items").valueStream()
                .filter(p -> p.get("cached").asBoolean()).count();
    }

    private static int versions(Api user, String id) {
        return user.get("/api/v1/jobs/" + id + "/versions").json().get("items").size();
    }

    private static JsonNode stats(Api user, String id) {
        return user.get("/api/v1/jobs/" + id).json().get("stats");
    }

    private static String job(Api user, String body) {
        Api.Response created = user.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }
}
