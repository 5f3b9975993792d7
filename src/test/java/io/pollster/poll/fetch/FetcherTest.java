package io.pollster.poll.fetch;

import static io.pollster.poll.fetch.StubServer.answer;
import static io.pollster.poll.fetch.StubServer.redirect;
import static io.pollster.poll.fetch.StubServer.respond;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Fetching from real HTTP servers on 127.0.0.1, with private networks allowed because the stubs live there. */
class FetcherTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_BODY = 1024;

    private final RecordingSleeper sleeper = new RecordingSleeper();
    private final CountDownLatch releaseStalls = new CountDownLatch(1);
    private StubServer stub;
    private Fetcher fetcher;

    @BeforeEach
    void start() {
        stub = StubServer.on("127.0.0.1");
        fetcher = new Fetcher(settings(4), AddressPolicy.defaultPolicy(true), sleeper);
    }

    @AfterEach
    void stop() {
        releaseStalls.countDown();
        fetcher.close();
        stub.close();
    }

    static FetchSettings settings(int perHostConcurrency) {
        return new FetchSettings(true, Duration.ofSeconds(2), 5, MAX_BODY, perHostConcurrency, "Pollster-Test/1.0");
    }

    private static FetchRequest request(String method, URI url, Map<String, String> headers, Map<String, String> secrets,
                                        String body) {
        return new FetchRequest(method, url, headers, secrets, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                TIMEOUT, null, null);
    }

    private static RetryPolicy retries(int maxAttempts) {
        return new RetryPolicy(maxAttempts, Duration.ofMillis(100), Duration.ofSeconds(2));
    }

    @Nested
    class Answers {

        @Test
        void getsJsonWithStatusContentTypeBodyAndValidators() {
            stub.route("/ticker", answer(200, Map.of("Content-Type", "application/json", "ETag", "\"v1\"",
                    "Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"), "{\"price\":42}"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/ticker"), TIMEOUT), retries(3));

            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched -> {
                assertThat(fetched.status()).isEqualTo(200);
                assertThat(fetched.contentType()).isEqualTo("application/json");
                assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("{\"price\":42}");
                assertThat(fetched.etag()).isEqualTo("\"v1\"");
                assertThat(fetched.lastModified()).isEqualTo("Tue, 15 Nov 1994 12:45:26 GMT");
                assertThat(fetched.attempts()).isEqualTo(1);
                assertThat(fetched.duration()).isPositive();
            });
            assertThat(stub.only("/ticker").header("User-Agent")).isEqualTo("Pollster-Test/1.0");
        }

        @Test
        void postsTheBodyWithOrdinaryAndSecretHeaders() {
            stub.route("/orders", answer(201, Map.of(), "created"));

            FetchResult result = fetcher.fetch(request("POST", stub.url("/orders"),
                    Map.of("Content-Type", "application/json", "X-Trace", "t-1"), Map.of("X-Api-Key", "s3cret"),
                    "{\"qty\":1}"), retries(1));

            assertThat(result).isInstanceOf(FetchResult.Fetched.class);
            StubServer.Received received = stub.only("/orders");
            assertThat(received.method()).isEqualTo("POST");
            assertThat(received.bodyText()).isEqualTo("{\"qty\":1}");
            assertThat(received.header("Content-Type")).isEqualTo("application/json");
            assertThat(received.header("X-Trace")).isEqualTo("t-1");
            assertThat(received.header("X-Api-Key")).isEqualTo("s3cret");
        }

        @Test
        void answersNotModifiedToAConditionalRequest() {
            stub.route("/doc", exchange -> {
                boolean fresh = "\"v7\"".equals(exchange.getRequestHeaders().getFirst("If-None-Match"));
                respond(exchange, fresh ? 304 : 200, Map.of("ETag", "\"v7\""), fresh ? "" : "body");
            });
            var conditional = new FetchRequest("GET", stub.url("/doc"), Map.of(), Map.of(), null, TIMEOUT,
                    "\"v7\"", "Tue, 15 Nov 1994 12:45:26 GMT");

            FetchResult result = fetcher.fetch(conditional, retries(3));

            assertThat(result).isEqualTo(new FetchResult.NotModified("\"v7\"", null, 1, result.duration()));
            assertThat(stub.only("/doc").header("If-Modified-Since")).isEqualTo("Tue, 15 Nov 1994 12:45:26 GMT");
        }

        @Test
        void decodesAGzippedBody() throws IOException {
            var gzipped = new ByteArrayOutputStream();
            try (var gzip = new GZIPOutputStream(gzipped)) {
                gzip.write("{\"zipped\":true}".getBytes(StandardCharsets.UTF_8));
            }
            stub.route("/zipped", exchange -> {
                exchange.getResponseHeaders().add("Content-Encoding", "gzip");
                exchange.sendResponseHeaders(200, gzipped.size());
                exchange.getResponseBody().write(gzipped.toByteArray());
            });

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/zipped"), TIMEOUT), retries(1));

            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched ->
                    assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("{\"zipped\":true}"));
        }

        @Test
        void headAnswersWithAnEmptyBody() {
            stub.route("/head", answer(200, Map.of("ETag", "\"h\""), "ignored"));

            FetchResult result = fetcher.fetch(request("HEAD", stub.url("/head"), Map.of(), Map.of(), null), retries(1));

            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched -> {
                assertThat(fetched.body()).isEmpty();
                assertThat(fetched.etag()).isEqualTo("\"h\"");
            });
        }
    }

    @Nested
    class Retries {

        @Test
        void retriesA500ThenSucceeds() {
            var calls = new AtomicInteger();
            stub.route("/flaky", exchange -> respond(exchange, calls.incrementAndGet() == 1 ? 500 : 200, Map.of(), "ok"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/flaky"), TIMEOUT), retries(3));

            assertThat(result).isInstanceOf(FetchResult.Fetched.class);
            assertThat(result.attempts()).isEqualTo(2);
            assertThat(sleeper.waits()).hasSize(1);
        }

        @Test
        void failsWithTheLastStatusAfterMaxAttemptsAndNeverQuotesTheBody() {
            stub.route("/broken", answer(500, Map.of(), "stack trace with password=hunter2"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/broken"), TIMEOUT), retries(3));

            assertThat(result).isEqualTo(new FetchResult.Failed(500, "HTTP 500 Internal Server Error", 3, result.duration()));
            assertThat(stub.received()).hasSize(3);
        }

        @Test
        void backsOffExponentiallyWithJitterCappedAtMaxBackoff() {
            stub.route("/down", answer(502, Map.of(), ""));

            fetcher.fetch(FetchRequest.get(stub.url("/down"), TIMEOUT),
                    new RetryPolicy(4, Duration.ofMillis(100), Duration.ofMillis(250)));

            List<Duration> waits = sleeper.waits();
            assertThat(waits).hasSize(3);
            assertThat(waits.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
            assertThat(waits.get(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
            assertThat(waits.get(2)).isBetween(Duration.ofMillis(125), Duration.ofMillis(250));
        }

        @Test
        void waitsAtLeastWhatRetryAfterAsksOnA429() {
            var calls = new AtomicInteger();
            stub.route("/limited", exchange -> {
                if (calls.incrementAndGet() == 1) {
                    respond(exchange, 429, Map.of("Retry-After", "1"), "slow down");
                } else {
                    respond(exchange, 200, Map.of(), "ok");
                }
            });

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/limited"), TIMEOUT),
                    new RetryPolicy(3, Duration.ofMillis(10), Duration.ofSeconds(5)));

            assertThat(result).isInstanceOf(FetchResult.Fetched.class);
            assertThat(result.attempts()).isEqualTo(2);
            assertThat(sleeper.waits()).singleElement().satisfies(wait -> assertThat(wait).isGreaterThanOrEqualTo(Duration.ofSeconds(1)));
        }

        @Test
        void failsWithoutWaitingWhenRetryAfterExceedsMaxBackoff() {
            stub.route("/maintenance", answer(503, Map.of("Retry-After", "120"), ""));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/maintenance"), TIMEOUT),
                    new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMinutes(1)));

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                assertThat(failed.status()).isEqualTo(503);
                assertThat(failed.error()).isEqualTo("HTTP 503 Service Unavailable; upstream asked to wait 2m (Retry-After),"
                        + " longer than maxBackoff 1m");
                assertThat(failed.attempts()).isEqualTo(1);
            });
            assertThat(sleeper.waits()).isEmpty();
        }

        @Test
        void failsAfterRetriesWhenTheConnectionClosesMidResponse() throws IOException {
            byte[] truncated = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part".getBytes(StandardCharsets.US_ASCII);
            try (var raw = new RawServer(truncated)) {
                FetchResult result = fetcher.fetch(FetchRequest.get(raw.url(), TIMEOUT), retries(3));

                assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                    assertThat(failed.error()).isEqualTo("the server closed the connection before the response was complete");
                    assertThat(failed.attempts()).isEqualTo(3);
                });
                assertThat(raw.connections()).isEqualTo(3);
            }
        }

        @Test
        void failsAfterRetriesWhenTheServerAnswersGarbage() throws IOException {
            byte[] junk = "SSH-2.0-OpenSSH_9.6 \u0000\u0001\u0002 not http at all\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            try (var raw = new RawServer(junk)) {
                FetchResult result = fetcher.fetch(FetchRequest.get(raw.url(), TIMEOUT), retries(3));

                assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                    assertThat(failed.status()).isNull();
                    // why: HttpClient skips lines that are not a status line, then meets the end of the stream
                    assertThat(failed.error()).isEqualTo("the server closed the connection without answering");
                    assertThat(failed.attempts()).isEqualTo(3);
                });
                assertThat(raw.connections()).isEqualTo(3);
            }
        }

        @Test
        void failsAfterRetriesOnAMalformedHeaderWithoutQuotingIt() throws IOException {
            byte[] malformed = "HTTP/1.1 200 OK\r\nsecret-looking junk\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            try (var raw = new RawServer(malformed)) {
                FetchResult result = fetcher.fetch(FetchRequest.get(raw.url(), TIMEOUT), retries(3));

                assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                    assertThat(failed.status()).isNull();
                    assertThat(failed.error()).isEqualTo("malformed response: not valid HTTP");
                    assertThat(failed.attempts()).isEqualTo(3);
                });
            }
        }

        @Test
        void failsOnBrokenChunkedEncoding() throws IOException {
            byte[] broken = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n".getBytes(StandardCharsets.US_ASCII);
            try (var raw = new RawServer(broken)) {
                FetchResult result = fetcher.fetch(FetchRequest.get(raw.url(), TIMEOUT), retries(2));

                assertThat(result).isEqualTo(new FetchResult.Failed(200, "malformed response: broken chunked encoding", 2,
                        result.duration()));
            }
        }

        @Test
        void failsAfterRetriesWhenNothingListens() throws IOException {
            URI closedPort;
            try (var raw = new RawServer(new byte[0])) {
                closedPort = raw.url();
            }

            FetchResult result = fetcher.fetch(FetchRequest.get(closedPort, TIMEOUT), retries(2));

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                assertThat(failed.status()).isNull();
                assertThat(failed.error()).startsWith("could not connect to 127.0.0.1:");
                assertThat(failed.attempts()).isEqualTo(2);
            });
        }
    }

    @Nested
    class Limits {

        @Test
        void timesOutAStalledAttempt() {
            stub.route("/stall", exchange -> awaitRelease());
            var quick = new FetchRequest("GET", stub.url("/stall"), Map.of(), Map.of(), null, Duration.ofMillis(300), null, null);

            FetchResult result = fetcher.fetch(quick, retries(2));

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                assertThat(failed.status()).isNull();
                assertThat(failed.error()).isEqualTo("timed out after 300ms");
                assertThat(failed.attempts()).isEqualTo(2);
            });
        }

        @Test
        void timesOutABodyThatStallsAfterTheHeaders() {
            stub.route("/trickle", exchange -> {
                exchange.sendResponseHeaders(200, 0);
                exchange.getResponseBody().write("{\"partial\":".getBytes(StandardCharsets.UTF_8));
                exchange.getResponseBody().flush();
                awaitRelease();
            });
            var quick = new FetchRequest("GET", stub.url("/trickle"), Map.of(), Map.of(), null, Duration.ofMillis(300), null, null);

            FetchResult result = fetcher.fetch(quick, RetryPolicy.NONE);

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed ->
                    assertThat(failed.error()).isEqualTo("timed out after 300ms"));
            assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
        }

        @Test
        void refusesABodyWhoseContentLengthIsTooLarge() {
            stub.route("/big", answer(200, Map.of(), "x".repeat(MAX_BODY + 1)));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/big"), TIMEOUT), retries(3));

            assertThat(result).isEqualTo(new FetchResult.Failed(200, "response body larger than 1024 bytes", 1, result.duration()));
        }

        @Test
        void stopsReadingAChunkedBodyAtTheLimitWithoutDrainingIt() {
            var written = new AtomicLong();
            var writeFailed = new AtomicBoolean();
            stub.route("/endless", exchange -> {
                exchange.sendResponseHeaders(200, 0);
                byte[] chunk = new byte[8192];
                OutputStream out = exchange.getResponseBody();
                try {
                    while (written.get() < 1L << 30) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    writeFailed.set(true);
                }
            });

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/endless"), TIMEOUT), retries(3));

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                assertThat(failed.error()).isEqualTo("response body larger than 1024 bytes");
                assertThat(failed.attempts()).isEqualTo(1);
            });
            await("the upstream sees the connection dropped").atMost(Duration.ofSeconds(5)).untilTrue(writeFailed);
            assertThat(written.get()).isLessThan(64L << 20);
        }

        @Test
        void keepsAtMostPerHostConcurrencyRequestsInFlightToOneHost() throws Exception {
            var inFlight = new AtomicInteger();
            var peak = new AtomicInteger();
            var release = new CountDownLatch(1);
            stub.route("/slow", exchange -> {
                peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inFlight.decrementAndGet();
                respond(exchange, 200, Map.of(), "ok");
            });
            var permits = new AtomicInteger();
            try (var twoPerHost = new Fetcher(settings(2), AddressPolicy.defaultPolicy(true), sleeper);
                 var pollers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<FetchResult>> results = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    results.add(pollers.submit(() -> twoPerHost.fetch(FetchRequest.get(stub.url("/slow"), TIMEOUT), RetryPolicy.NONE)));
                }

                await("two requests reach the upstream").atMost(Duration.ofSeconds(5)).until(() -> inFlight.get() == 2);
                await("no third one joins them").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1))
                        .until(() -> inFlight.get() <= 2);
                release.countDown();

                for (Future<FetchResult> result : results) {
                    assertThat(result.get(10, TimeUnit.SECONDS)).isInstanceOf(FetchResult.Fetched.class);
                }
            }
            assertThat(peak.get()).isEqualTo(2);
            assertThat(stub.received()).hasSize(5);
        }
    }

    @Nested
    class Redirects {

        @Test
        void followsARedirectChain() {
            stub.route("/a", redirect(301, "/b"))
                    .route("/b", redirect(302, stub.url("/c").toString()))
                    .route("/c", redirect(307, "d"))
                    .route("/d", answer(200, Map.of(), "landed"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/a"), TIMEOUT), retries(3));

            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched -> {
                assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("landed");
                assertThat(fetched.attempts()).isEqualTo(1);
            });
            assertThat(stub.received()).extracting(StubServer.Received::path).containsExactly("/a", "/b", "/c", "/d");
        }

        @Test
        void stopsARedirectLoopAfterMaxRedirects() {
            stub.route("/loop", redirect(302, "/loop"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/loop"), TIMEOUT), retries(3));

            assertThat(result).isEqualTo(new FetchResult.Failed(302, "too many redirects (more than 5)", 1, result.duration()));
            assertThat(stub.received()).hasSize(6);
        }

        @Test
        void refusesARedirectToANonHttpUrl() {
            stub.route("/ftp", redirect(302, "ftp://127.0.0.1/file"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/ftp"), TIMEOUT), retries(3));

            assertThat(result).isEqualTo(new FetchResult.Failed(302, "redirected to a URL that is not http or https", 1,
                    result.duration()));
        }

        @Test
        void dropsSecretsButKeepsOrdinaryHeadersOnARedirectToAnotherHost() {
            stub.route("/start", redirect(302, stub.url("/landing").toString()))
                    .route("/landing", answer(200, Map.of(), "ok"));
            var withSecrets = request("GET", stub.url("localhost", "/start"),
                    Map.of("X-Trace", "t-1", "Authorization", "Bearer abc", "Cookie", "session=1"),
                    Map.of("X-Api-Key", "s3cret"), null);

            FetchResult result = fetcher.fetch(withSecrets, retries(1));

            assertThat(result).isInstanceOf(FetchResult.Fetched.class);
            StubServer.Received first = stub.only("/start");
            assertThat(first.header("Authorization")).isEqualTo("Bearer abc");
            assertThat(first.header("X-Api-Key")).isEqualTo("s3cret");
            StubServer.Received landing = stub.only("/landing");
            assertThat(landing.header("X-Trace")).isEqualTo("t-1");
            assertThat(landing.header("Authorization")).isNull();
            assertThat(landing.header("Cookie")).isNull();
            assertThat(landing.header("X-Api-Key")).isNull();
        }

        @Test
        void keepsSecretsOnARedirectWithinTheSameOrigin() {
            stub.route("/start", redirect(302, "/landing")).route("/landing", answer(200, Map.of(), "ok"));
            var withSecrets = request("GET", stub.url("/start"), Map.of("X-Trace", "t-1", "Authorization", "Bearer abc"),
                    Map.of("X-Api-Key", "s3cret"), null);

            fetcher.fetch(withSecrets, retries(1));

            StubServer.Received landing = stub.only("/landing");
            assertThat(landing.header("X-Trace")).isEqualTo("t-1");
            assertThat(landing.header("Authorization")).isEqualTo("Bearer abc");
            assertThat(landing.header("X-Api-Key")).isEqualTo("s3cret");
        }

        @Test
        void turnsAPostIntoAGetWithoutBodyOnA303() {
            stub.route("/form", redirect(303, "/result")).route("/result", answer(200, Map.of(), "done"));

            FetchResult result = fetcher.fetch(request("POST", stub.url("/form"),
                    Map.of("Content-Type", "application/json"), Map.of(), "{\"a\":1}"), retries(1));

            assertThat(result).isInstanceOf(FetchResult.Fetched.class);
            assertThat(stub.only("/form").method()).isEqualTo("POST");
            StubServer.Received result303 = stub.only("/result");
            assertThat(result303.method()).isEqualTo("GET");
            assertThat(result303.body()).isEmpty();
            assertThat(result303.header("Content-Type")).isNull();
        }

        @Test
        void keepsMethodAndBodyOnA307() {
            stub.route("/old", redirect(307, "/new")).route("/new", answer(200, Map.of(), "done"));

            fetcher.fetch(request("PUT", stub.url("/old"), Map.of("Content-Type", "text/plain"), Map.of(), "payload"),
                    retries(1));

            StubServer.Received moved = stub.only("/new");
            assertThat(moved.method()).isEqualTo("PUT");
            assertThat(moved.bodyText()).isEqualTo("payload");
            assertThat(moved.header("Content-Type")).isEqualTo("text/plain");
        }
    }

    private void awaitRelease() {
        try {
            releaseStalls.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
