package io.pollster.fetch;

import static io.pollster.fetch.StubServer.answer;
import static io.pollster.fetch.StubServer.redirect;
import static io.pollster.fetch.StubServer.respond;
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
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import io.pollster.system.memory.ByteBudget;
import io.pollster.user.UserId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Fetching from real HTTP servers on 127.0.0.1, with private networks allowed because the stubs live there. */
class FetcherTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_BODY = 1024;

    private static final Duration HOST_WAIT = Duration.ofSeconds(5);
    static final UserId USER = new UserId(java.util.UUID.randomUUID());

    private final CountDownLatch releaseStalls = new CountDownLatch(1);
    private StubServer stub;
    private Fetcher fetcher;

    @BeforeEach
    void start() {
        stub = StubServer.on("127.0.0.1");
        fetcher = new Fetcher(settings(4), AddressPolicy.defaultPolicy(true));
    }

    @AfterEach
    void stop() {
        releaseStalls.countDown();
        fetcher.close();
        stub.close();
    }

    /** A reservation from a budget far larger than any body here. */
    static ByteBudget.Reservation memory() {
        try {
            return new ByteBudget(1L << 30).reserve(0, Duration.ZERO);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static FetchSettings settings(int perHostConcurrency) {
        return settings(perHostConcurrency, perHostConcurrency);
    }

    static FetchSettings settings(int perHostConcurrency, int perUserHostConcurrency) {
        return new FetchSettings(true, Duration.ofSeconds(2), 5, MAX_BODY, perHostConcurrency, perUserHostConcurrency,
                "Pollster-Test/1.0");
    }

    private static FetchRequest request(String method, URI url, Map<String, String> headers, Map<String, String> secrets,
                                        String body) {
        return new FetchRequest(method, url, headers, secrets, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                TIMEOUT, null, null);
    }

    @Nested
    class Answers {

        @Test
        void getsJsonWithStatusContentTypeBodyAndValidators() {
            stub.route("/ticker", answer(200, Map.of("Content-Type", "application/json", "ETag", "\"v1\"",
                    "Last-Modified", "Tue, 15 Nov 1994 12:45:26 GMT"), "{\"price\":42}"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/ticker"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched -> {
                assertThat(fetched.status()).isEqualTo(200);
                assertThat(fetched.contentType()).isEqualTo("application/json");
                assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("{\"price\":42}");
                assertThat(fetched.etag()).isEqualTo("\"v1\"");
                assertThat(fetched.lastModified()).isEqualTo("Tue, 15 Nov 1994 12:45:26 GMT");
                assertThat(fetched.duration()).isPositive();
            });
            assertThat(stub.only("/ticker").header("User-Agent")).isEqualTo("Pollster-Test/1.0");
            assertThat(stub.only("/ticker").header("Accept-Encoding")).isEqualTo("gzip, deflate");
        }

        @Test
        void postsTheBodyWithOrdinaryAndSecretHeaders() {
            stub.route("/orders", answer(201, Map.of(), "created"));

            FetchResult result = fetcher.fetch(request("POST", stub.url("/orders"),
                    Map.of("Content-Type", "application/json", "X-Trace", "t-1"), Map.of("X-Api-Key", "s3cret"),
                    "{\"qty\":1}"), USER, HOST_WAIT, memory());

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

            FetchResult result = fetcher.fetch(conditional, USER, HOST_WAIT, memory());

            assertThat(result).isEqualTo(new FetchResult.NotModified("\"v7\"", null, result.duration()));
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

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/zipped"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched ->
                    assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("{\"zipped\":true}"));
        }

        @Test
        void headAnswersWithAnEmptyBody() {
            stub.route("/head", answer(200, Map.of("ETag", "\"h\""), "ignored"));

            FetchResult result = fetcher.fetch(request("HEAD", stub.url("/head"), Map.of(), Map.of(), null), USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched -> {
                assertThat(fetched.body()).isEmpty();
                assertThat(fetched.etag()).isEqualTo("\"h\"");
            });
        }
    }

    @Nested
    class Failures {

        @Test
        void aServerErrorIsRetryableAndNeverQuotesTheBody() {
            stub.route("/broken", answer(500, Map.of(), "stack trace with password=hunter2"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/broken"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isEqualTo(new FetchResult.Failed(500, "HTTP 500 Internal Server Error", true, null,
                    result.duration(), true));
            assertThat(stub.received()).hasSize(1);
        }

        @Test
        void aTooManyRequestsCarriesTheWaitItAskedFor() {
            stub.route("/limited", answer(429, Map.of("Retry-After", "7"), "slow down"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/limited"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isEqualTo(new FetchResult.Failed(429, "HTTP 429 Too Many Requests", true, Duration.ofSeconds(7),
                    result.duration(), true));
        }

        @Test
        void aConnectionClosedMidResponseIsRetryable() throws IOException {
            byte[] truncated = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part".getBytes(StandardCharsets.US_ASCII);
            try (var raw = new RawServer(truncated)) {
                FetchResult result = fetcher.fetch(FetchRequest.get(raw.url(), TIMEOUT), USER, HOST_WAIT, memory());

                assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                    assertThat(failed.error()).isEqualTo("the server closed the connection before the response was complete");
                    assertThat(failed.retryable()).isTrue();
                });
                assertThat(raw.connections()).isEqualTo(1);
            }
        }

        @Test
        void garbageInsteadOfHttpIsRetryable() throws IOException {
            byte[] junk = "SSH-2.0-OpenSSH_9.6 \u0000\u0001\u0002 not http at all\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            try (var raw = new RawServer(junk)) {
                FetchResult result = fetcher.fetch(FetchRequest.get(raw.url(), TIMEOUT), USER, HOST_WAIT, memory());

                assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                    assertThat(failed.status()).isNull();
                    // why: HttpClient skips lines that are not a status line, then meets the end of the stream
                    assertThat(failed.error()).isEqualTo("the server closed the connection without answering");
                    assertThat(failed.retryable()).isTrue();
                });
            }
        }

        @Test
        void aMalformedHeaderFailsWithoutBeingQuoted() throws IOException {
            byte[] malformed = "HTTP/1.1 200 OK\r\nsecret-looking junk\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            try (var raw = new RawServer(malformed)) {
                FetchResult result = fetcher.fetch(FetchRequest.get(raw.url(), TIMEOUT), USER, HOST_WAIT, memory());

                assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                    assertThat(failed.status()).isNull();
                    assertThat(failed.error()).isEqualTo("malformed response: not valid HTTP");
                });
            }
        }

        @Test
        void failsOnBrokenChunkedEncoding() throws IOException {
            byte[] broken = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n".getBytes(StandardCharsets.US_ASCII);
            try (var raw = new RawServer(broken)) {
                FetchResult result = fetcher.fetch(FetchRequest.get(raw.url(), TIMEOUT), USER, HOST_WAIT, memory());

                assertThat(result).isEqualTo(new FetchResult.Failed(200, "malformed response: broken chunked encoding", true,
                        null, result.duration(), true));
            }
        }

        @Test
        void failsWhenNothingListens() throws IOException {
            URI closedPort;
            try (var raw = new RawServer(new byte[0])) {
                closedPort = raw.url();
            }

            FetchResult result = fetcher.fetch(FetchRequest.get(closedPort, TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                assertThat(failed.status()).isNull();
                // why: a port closed a moment ago refuses, or (while the kernel still tears it down) resets
                assertThat(failed.error()).matches("(could not connect to|connection reset by) 127\\.0\\.0\\.1:\\d+.*");
                assertThat(failed.upstreams()).as("the upstream refused or reset: shared").isTrue();
                assertThat(failed.retryable()).isTrue();
            });
        }
    }

    @Nested
    class Encodings {

        @Test
        void decodesZlibAndRawDeflate() throws IOException {
            byte[] text = "{\"deflated\":true}".getBytes(StandardCharsets.UTF_8);
            stub.route("/zlib", encoded("deflate", deflate(text, false)))
                    .route("/raw", encoded("deflate", deflate(text, true)));

            for (String path : List.of("/zlib", "/raw")) {
                FetchResult result = fetcher.fetch(FetchRequest.get(stub.url(path), TIMEOUT), USER, HOST_WAIT, memory());

                assertThat(result).as(path).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched ->
                        assertThat(fetched.body()).isEqualTo(text));
            }
        }

        @Test
        void refusesACodingItDidNotAskForWithoutDecodingIt() {
            // an lzma header claiming a 2 GiB dictionary: decoded, it would allocate that much
            byte[] lzmaBomb = {0x5d, 0x00, 0x00, 0x00, (byte) 0x80, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                    (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x00};
            for (String coding : List.of("lzma", "xz", "bzip2", "br", "deflate64", "gzip, gzip")) {
                stub.route("/" + coding.replace(", ", "-"), encoded(coding, lzmaBomb));

                FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/" + coding.replace(", ", "-")), TIMEOUT),
                        USER, HOST_WAIT, memory());

                assertThat(result).as(coding).isEqualTo(new FetchResult.Failed(200, "the upstream answered with "
                        + "Content-Encoding " + coding + ", which Pollster did not ask for (it accepts gzip, deflate)",
                        false, null, result.duration(), true));
            }
        }

        @Test
        void stopsAGzipBombAtTheSizeLimit() throws IOException {
            var bomb = new ByteArrayOutputStream();
            try (var gzip = new GZIPOutputStream(bomb)) {
                byte[] zeros = new byte[1 << 20];
                for (int i = 0; i < 64; i++) {
                    gzip.write(zeros); // 64 MiB of zeros, about 64 KiB compressed
                }
            }
            stub.route("/bomb", encoded("gzip", bomb.toByteArray()));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/bomb"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isEqualTo(new FetchResult.Failed(200, "response body larger than 1024 bytes", false, null,
                    result.duration()));
        }

        @Test
        void aBodyTheBudgetOfBytesInFlightCannotHoldStopsAsOutOfBudget() throws Exception {
            stub.route("/big", answer(200, Map.of(), "x".repeat(1000)));
            ByteBudget tiny = new ByteBudget(1500);

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/big"), TIMEOUT), USER, HOST_WAIT,
                    tiny.reserve(0, Duration.ZERO));

            assertThat(result).isInstanceOf(FetchResult.OutOfBudget.class);
            FetchResult fits = fetcher.fetch(FetchRequest.get(stub.url("/big"), TIMEOUT), USER, HOST_WAIT,
                    new ByteBudget(4000).reserve(0, Duration.ZERO));
            assertThat(fits).isInstanceOf(FetchResult.Fetched.class);
        }

        @Test
        void aBodyThatDoesNotDecompressIsAFailure() {
            stub.route("/corrupt", encoded("gzip", "not gzip at all".getBytes(StandardCharsets.US_ASCII)));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/corrupt"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed ->
                    assertThat(failed.error()).isEqualTo("malformed response: the body does not decompress"));
        }

        private StubServer.Handler encoded(String coding, byte[] body) {
            return exchange -> {
                exchange.getResponseHeaders().add("Content-Encoding", coding);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            };
        }

        private static byte[] deflate(byte[] data, boolean raw) {
            var deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, raw);
            deflater.setInput(data);
            deflater.finish();
            var out = new ByteArrayOutputStream();
            byte[] buffer = new byte[256];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            deflater.end();
            return out.toByteArray();
        }
    }

    @Nested
    class Limits {

        @Test
        void timesOutAStalledAttempt() {
            stub.route("/stall", exchange -> awaitRelease());
            var quick = new FetchRequest("GET", stub.url("/stall"), Map.of(), Map.of(), null, Duration.ofMillis(300), null, null);

            FetchResult result = fetcher.fetch(quick, USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                assertThat(failed.status()).isNull();
                assertThat(failed.error()).isEqualTo("timed out after 300ms");
                assertThat(failed.retryable()).isTrue();
                assertThat(failed.upstreams()).as("the caller's own timeout, never shared").isFalse();
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

            FetchResult result = fetcher.fetch(quick, USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed ->
                    assertThat(failed.error()).isEqualTo("timed out after 300ms"));
            assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
        }

        @Test
        void refusesABodyWhoseContentLengthIsTooLarge() {
            stub.route("/big", answer(200, Map.of(), "x".repeat(MAX_BODY + 1)));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/big"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isEqualTo(new FetchResult.Failed(200, "response body larger than 1024 bytes", false, null,
                    result.duration()));
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

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/endless"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed -> {
                assertThat(failed.error()).isEqualTo("response body larger than 1024 bytes");
                assertThat(failed.retryable()).isFalse();
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
            try (var twoPerHost = new Fetcher(settings(2), AddressPolicy.defaultPolicy(true));
                 var pollers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<FetchResult>> results = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    results.add(pollers.submit(() -> twoPerHost.fetch(FetchRequest.get(stub.url("/slow"), TIMEOUT), USER, HOST_WAIT, memory())));
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

        @Test
        void aHostWhoseSlotsStayTakenIsNotTriedAndSaysSo() throws Exception {
            var release = new CountDownLatch(1);
            stub.route("/slow", exchange -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                respond(exchange, 200, Map.of(), "ok");
            });
            try (var onePerHost = new Fetcher(settings(1), AddressPolicy.defaultPolicy(true));
                 var pollers = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<FetchResult> first = pollers.submit(() -> onePerHost.fetch(FetchRequest.get(stub.url("/slow"), TIMEOUT),
                        USER, HOST_WAIT, memory()));
                await("the first request holds the host's slot").atMost(Duration.ofSeconds(5))
                        .until(() -> stub.received().size() == 1);

                FetchResult second = onePerHost.fetch(FetchRequest.get(stub.url("/slow"), TIMEOUT), USER, Duration.ofMillis(200), memory());

                assertThat(second).isInstanceOfSatisfying(FetchResult.HostBusy.class, busy ->
                        assertThat(busy.host()).isEqualTo("127.0.0.1"));
                assertThat(stub.received()).hasSize(1);
                release.countDown();
                assertThat(first.get(10, TimeUnit.SECONDS)).isInstanceOf(FetchResult.Fetched.class);
            }
        }
        @Test
        void oneUsersSlowRequestsLeaveTheRestOfAHostsSlotsToOtherUsers() throws Exception {
            var release = new CountDownLatch(1);
            stub.route("/slow", exchange -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                respond(exchange, 200, Map.of(), "slow");
            });
            stub.route("/quick", exchange -> respond(exchange, 200, Map.of(), "quick"));
            UserId hog = new UserId(java.util.UUID.randomUUID());
            try (var fourPerHostTwoPerUser = new Fetcher(settings(4, 2), AddressPolicy.defaultPolicy(true));
                 var pollers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<FetchResult>> slow = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    slow.add(pollers.submit(() -> fourPerHostTwoPerUser.fetch(FetchRequest.get(stub.url("/slow"), TIMEOUT), hog,
                            Duration.ofMillis(300), memory())));
                }
                await("the hog's share of the host is in flight").atMost(Duration.ofSeconds(5))
                        .until(() -> stub.received().size() == 2);

                long started = System.nanoTime();
                FetchResult other = fourPerHostTwoPerUser.fetch(FetchRequest.get(stub.url("/quick"), TIMEOUT), USER,
                        Duration.ofMillis(200), memory());

                assertThat(other).isInstanceOf(FetchResult.Fetched.class);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
                // the requests in flight hold their slots until released: only those beyond the share can end first
                await("the hog's requests beyond its share give up").atMost(Duration.ofSeconds(5))
                        .until(() -> slow.stream().filter(Future::isDone).count() == 4);
                release.countDown();
                long busy = 0;
                for (Future<FetchResult> result : slow) {
                    if (result.get(10, TimeUnit.SECONDS) instanceof FetchResult.HostBusy) {
                        busy++;
                    }
                }
                assertThat(busy).as("the hog's requests beyond its share found no slot").isEqualTo(4);
            }
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

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/a"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, fetched ->
                    assertThat(new String(fetched.body(), StandardCharsets.UTF_8)).isEqualTo("landed"));
            assertThat(stub.received()).extracting(StubServer.Received::path).containsExactly("/a", "/b", "/c", "/d");
        }

        @Test
        void stopsARedirectLoopAfterMaxRedirects() {
            stub.route("/loop", redirect(302, "/loop"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/loop"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isEqualTo(new FetchResult.Failed(302, "too many redirects (more than 5)", false, null,
                    result.duration()));
            assertThat(stub.received()).hasSize(6);
        }

        @Test
        void refusesARedirectToANonHttpUrl() {
            stub.route("/ftp", redirect(302, "ftp://127.0.0.1/file"));

            FetchResult result = fetcher.fetch(FetchRequest.get(stub.url("/ftp"), TIMEOUT), USER, HOST_WAIT, memory());

            assertThat(result).isEqualTo(new FetchResult.Failed(302, "redirected to a URL that is not http or https", false,
                    null, result.duration(), true));
        }

        @Test
        void dropsSecretsButKeepsOrdinaryHeadersOnARedirectToAnotherHost() {
            stub.route("/start", redirect(302, stub.url("/landing").toString()))
                    .route("/landing", answer(200, Map.of(), "ok"));
            var withSecrets = request("GET", stub.url("localhost", "/start"),
                    Map.of("X-Trace", "t-1", "Authorization", "Bearer abc", "Cookie", "session=1"),
                    Map.of("X-Api-Key", "s3cret"), null);

            FetchResult result = fetcher.fetch(withSecrets, USER, HOST_WAIT, memory());

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

            fetcher.fetch(withSecrets, USER, HOST_WAIT, memory());

            StubServer.Received landing = stub.only("/landing");
            assertThat(landing.header("X-Trace")).isEqualTo("t-1");
            assertThat(landing.header("Authorization")).isEqualTo("Bearer abc");
            assertThat(landing.header("X-Api-Key")).isEqualTo("s3cret");
        }

        @Test
        void turnsAPostIntoAGetWithoutBodyOnA303() {
            stub.route("/form", redirect(303, "/result")).route("/result", answer(200, Map.of(), "done"));

            FetchResult result = fetcher.fetch(request("POST", stub.url("/form"),
                    Map.of("Content-Type", "application/json"), Map.of(), "{\"a\":1}"), USER, HOST_WAIT, memory());

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

            fetcher.fetch(request("PUT", stub.url("/old"), Map.of("Content-Type", "text/plain"), Map.of(), "payload"), USER, HOST_WAIT, memory());

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
