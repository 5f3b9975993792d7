package io.pollster.system.web;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The larger ingest limit applies to {@code POST /api/v1/messages} alone: a body between the two
 * limits sent anywhere else, however the path is dressed up, is a 413.
 */
@TestPropertySource(properties = {"pollster.api.max-request-size=64KB", "pollster.ingest.max-request-size=256KB"})
class RequestSizeLimitTest extends IntegrationTest {

    /** About 128 KiB: over the API limit, under the ingest limit. */
    private static final String BETWEEN_THE_LIMITS = IntStream.range(0, 60)
            .mapToObj(i -> "{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"" + "x".repeat(2100) + "\"}")
            .collect(Collectors.joining(",", "[", "]"));

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "POST,  /api/v1/jobs/x/messages",
            "POST,  /api/v1/users/messages",
            "POST,  /api/v1/x/..;/messages",
            "POST,  /api/v1/jobs/x;y=/messages",
            "POST,  /api/v1/jobs/messages;a=b",
            "POST,  /api/v1/messages/",
            "POST,  /api/v1/messages/x",
            "POST,  /api/v1/MESSAGES",
            "POST,  /api/v1//messages",
            "PUT,   /api/v1/messages",
            "PATCH, /api/v1/messages",
    })
    void aBodyBetweenTheTwoLimitsSentAnywhereButThePostOfMessagesIs413(String method, String path) {
        Api.Response answer = alice.send(alice.request(path).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(BETWEEN_THE_LIMITS)));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(413);
        assertThat(answer.contentType()).startsWith("application/problem+json");
    }

    @Test
    void anEncodedSlashNeverReachesTheFilter() {
        Api.Response answer = alice.send(alice.request("/api/v1/jobs%2Fmessages").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BETWEEN_THE_LIMITS)));

        assertThat(answer.status()).as("Tomcat refuses %2F in a path itself").isEqualTo(400);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"/api/v1/messages", "/api/v1/messages;x=1", "/api/v1/messag%65s"})
    void theSameBodyPostedToWhatRoutesToMessagesIsAccepted(String path) {
        Api.Response answer = alice.send(alice.request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BETWEEN_THE_LIMITS)));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
    }

    @Test
    void aChunkedBodyElsewhereIsCutOffAtTheApiLimit() {
        byte[] body = ("{\"name\":\"" + "x".repeat(128 * 1024) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Api.Response answer = admin().send(admin().request("/api/v1/users").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(413);
        assertThat(admin().get("/api/v1/users").json().get("items")).hasSize(1);
    }
}
