package io.pollster.fetch;

import static io.pollster.fetch.StubServer.answer;
import static io.pollster.fetch.StubServer.redirect;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SSRF guard end to end, with private networks not allowed. Every target is a loopback stub
 * that must never see a request; nothing here sends traffic beyond loopback.
 */
class FetcherSafetyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String ADVICE = "; set POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS=true to allow private networks";

    private StubServer ipv4;
    private StubServer ipv6;
    private StubServer otherLoopback;

    @BeforeEach
    void start() {
        ipv4 = StubServer.on("127.0.0.1").route("/", answer(200, Map.of(), "private data"));
        ipv6 = StubServer.on("::1").route("/", answer(200, Map.of(), "private data"));
        otherLoopback = StubServer.on("127.0.0.2").route("/", answer(200, Map.of(), "private data"));
    }

    @AfterEach
    void stop() {
        ipv4.close();
        ipv6.close();
        otherLoopback.close();
    }

    private static final Duration HOST_WAIT = Duration.ofSeconds(1);

    private static FetchSettings publicOnly() {
        return new FetchSettings(false, Duration.ofSeconds(2), 5, 1024, 4, 4, "Pollster-Test/1.0");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            http://127.0.0.1:%d/             | ipv4 | refused: 127.0.0.1 is a loopback address
            http://localhost:%d/             | ipv4 | refused: localhost resolves to a loopback address
            https://localhost:%d/            | ipv4 | refused: localhost resolves to a loopback address
            http://[::1]:%d/                 | ipv6 | refused: ::1 is a loopback address
            http://2130706433:%d/            | ipv4 | refused: 2130706433 resolves to a loopback address
            http://127.1:%d/                 | ipv4 | refused: 127.1 resolves to a loopback address
            http://[::ffff:127.0.0.1]:%d/    | ipv4 | refused: ::ffff:127.0.0.1 resolves to a loopback address
            http://0.0.0.0:%d/               | ipv4 | refused: 0.0.0.0 is an unspecified address
            """)
    void refusesEverySpellingOfALocalAddressBeforeConnecting(String template, String stub, String refusal) {
        int port = stub.equals("ipv6") ? ipv6.port() : ipv4.port();
        try (var fetcher = new Fetcher(publicOnly(), AddressPolicy.defaultPolicy(false))) {
            FetchResult result = fetcher.fetch(FetchRequest.get(URI.create(template.formatted(port)), TIMEOUT), FetcherTest.USER, HOST_WAIT, FetcherTest.memory());

            // not retryable: a refused address stays refused
            assertThat(result).isEqualTo(new FetchResult.Failed(null, refusal + ADVICE, false, null, result.duration()));
        }
        assertThat(ipv4.received()).isEmpty();
        assertThat(ipv6.received()).isEmpty();
    }

    @Test
    void theProductionConstructorGuardsByDefault() {
        try (var fetcher = new Fetcher(publicOnly())) {
            FetchResult result = fetcher.fetch(FetchRequest.get(ipv4.url("/"), TIMEOUT), FetcherTest.USER, HOST_WAIT, FetcherTest.memory());

            assertThat(result).isInstanceOfSatisfying(FetchResult.Failed.class, failed ->
                    assertThat(failed.error()).startsWith("refused: 127.0.0.1 is a loopback address"));
        }
        assertThat(ipv4.received()).isEmpty();
    }

    @Test
    void refusesARedirectToAForbiddenAddressAndNeverReachesIt() throws Exception {
        AddressPolicy onlyTheFirstStub = AddressPolicy.defaultPolicy(false).allowing(InetAddress.getByName("127.0.0.1"));
        ipv4.route("/to-ipv6", redirect(302, ipv6.url("/").toString()))
                .route("/to-other-loopback", redirect(307, otherLoopback.url("/").toString()));

        try (var fetcher = new Fetcher(publicOnly(), onlyTheFirstStub)) {
            FetchResult toIpv6 = fetcher.fetch(FetchRequest.get(ipv4.url("/to-ipv6"), TIMEOUT), FetcherTest.USER, HOST_WAIT, FetcherTest.memory());
            FetchResult toOther = fetcher.fetch(FetchRequest.get(ipv4.url("/to-other-loopback"), TIMEOUT), FetcherTest.USER, HOST_WAIT, FetcherTest.memory());

            assertThat(toIpv6).isEqualTo(new FetchResult.Failed(null, "refused: ::1 is a loopback address" + ADVICE, false,
                    null, toIpv6.duration()));
            assertThat(toOther).isEqualTo(new FetchResult.Failed(null, "refused: 127.0.0.2 is a loopback address" + ADVICE,
                    false, null, toOther.duration()));
        }
        assertThat(ipv4.received()).extracting(StubServer.Received::path).containsExactly("/to-ipv6", "/to-other-loopback");
        assertThat(ipv6.received()).isEmpty();
        assertThat(otherLoopback.received()).isEmpty();
    }
}
