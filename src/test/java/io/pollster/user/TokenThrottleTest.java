package io.pollster.user;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client guessing tokens, against the running service. Each test calls from its own loopback
 * address (127.0.0.x), as separate clients would, so the addresses' windows never mix.
 */
@TestPropertySource(properties = {"pollster.auth.max-failures=5", "pollster.auth.failure-window=3s"})
class TokenThrottleTest extends IntegrationTest {

    private static final Map<String, HttpClient> CLIENTS = new ConcurrentHashMap<>();

    @Test
    void afterTooManyInvalidTokensTheAddressGets429UntilItsWindowPassesWhileOtherAddressesDoNot() {
        String guesser = "127.0.0.11";
        for (int i = 0; i < 5; i++) {
            assertThat(me(guesser, guess()).statusCode()).isEqualTo(401);
        }

        HttpResponse<String> throttled = me(guesser, guess());

        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(Long.parseLong(throttled.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 3L);
        assertThat(throttled.body()).contains("\"status\":429").doesNotContain("pst_");
        assertThat(me("127.0.0.12", guess()).statusCode()).as("another address is not affected").isEqualTo(401);
        await("the window to pass").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .until(() -> me(guesser, guess()).statusCode() == 401);
        assertThat(me(guesser, guess()).statusCode()).as("a new window counts from one").isEqualTo(401);
    }

    @Test
    void aThrottledAddressAsksTheDatabaseNothingButATokenThatWorkedLatelyStillWorks() {
        String proxy = "127.0.0.21";
        String alice = createUser("alice");
        String bob = createUser("bob");
        assertThat(me(proxy, alice).statusCode()).isEqualTo(200);
        for (int i = 0; i < 5; i++) {
            me(proxy, guess());
        }

        assertThat(me(proxy, guess()).statusCode()).isEqualTo(429);
        assertThat(me(proxy, alice).statusCode()).as("alice, behind the same proxy, authenticated lately").isEqualTo(200);
        // bob's token is valid, but a lookup would have found it: 429 shows none was made
        assertThat(me(proxy, bob).statusCode()).as("a valid token not seen lately waits like a guess").isEqualTo(429);
        assertThat(me("127.0.0.22", bob).statusCode()).isEqualTo(200);
        assertThat(me(proxy, bob).statusCode()).as("once it has worked anywhere, it works here too").isEqualTo(200);
    }

    @Test
    void guessesAtTheAdminTokenAreThrottledAndAThrottledAddressLearnsNothingOfAGuessThatIsRight() {
        String guesser = "127.0.0.41";
        assertThat(me(guesser, ADMIN_TOKEN).statusCode()).as("the admin token, used lately").isEqualTo(200);
        for (int i = 0; i < 5; i++) {
            assertThat(me(guesser, ADMIN_TOKEN.substring(0, ADMIN_TOKEN.length() - 1) + i).statusCode()).isEqualTo(401);
        }

        assertThat(me(guesser, ADMIN_TOKEN + "x").statusCode()).isEqualTo(429);
        assertThat(me(guesser, ADMIN_TOKEN).statusCode()).as("the right guess looks like every other").isEqualTo(429);
        assertThat(me("127.0.0.42", ADMIN_TOKEN).statusCode()).as("another address is not affected").isEqualTo(200);
    }

    @Test
    void validRequestsInBetweenDoNotResetTheCountAndMissingHeadersDoNotAddToIt() {
        String client = "127.0.0.31";
        String alice = createUser("alice");
        for (int i = 0; i < 20; i++) {
            assertThat(me(client, null).statusCode()).isEqualTo(401);
        }
        for (int i = 0; i < 5; i++) {
            assertThat(me(client, guess()).statusCode()).as("failure " + (i + 1)).isEqualTo(401);
            assertThat(me(client, alice).statusCode()).isEqualTo(200);
        }

        assertThat(me(client, guess()).statusCode()).isEqualTo(429);
    }

    @Test
    void ipv6ClientsAreCountedByTheirSlash64() {
        assertThat(FailedTokenThrottle.key("2001:db8:1:2:aaaa::1")).isEqualTo(FailedTokenThrottle.key("2001:db8:1:2:bbbb::2"));
        assertThat(FailedTokenThrottle.key("2001:db8:1:2::1")).isNotEqualTo(FailedTokenThrottle.key("2001:db8:1:3::1"));
        assertThat(FailedTokenThrottle.key("127.0.0.1")).isEqualTo("127.0.0.1");
    }

    private static String guess() {
        return "pst_" + UUID.randomUUID();
    }

    /** {@code GET /api/v1/me} from the given local address, with the token (or no Authorization header when null). */
    private HttpResponse<String> me(String from, String token) {
        HttpClient client = CLIENTS.computeIfAbsent(from, address -> {
            try {
                return HttpClient.newBuilder().localAddress(InetAddress.getByName(address))
                        .connectTimeout(Duration.ofSeconds(5)).build();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/me"))
                .timeout(Duration.ofSeconds(10));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
