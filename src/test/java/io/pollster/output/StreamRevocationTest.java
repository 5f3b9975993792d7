package io.pollster.output;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.pollster.support.IntegrationTest;
import io.pollster.support.TestDatabase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An open event stream ends within seconds of its user, token or web UI session being deleted —
 * through the admin API, by a logout, or straight in the database as another node would.
 */
class StreamRevocationTest extends IntegrationTest {

    private static final Duration ENDS_WITHIN = Duration.ofSeconds(5);
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @Test
    void aStreamEndsWithinSecondsOfItsUsersDeletion() throws Exception {
        String token = createUser("alice");
        String id = api().as(token).get("/api/v1/me").json().get("id").asString();
        CompletableFuture<String> stream = open("Authorization", "Bearer " + token);
        CompletableFuture<String> other = open("Authorization", "Bearer " + createUser("bob"));

        assertThat(admin().delete("/api/v1/users/" + id).status()).isEqualTo(204);

        assertThat(stream.get(ENDS_WITHIN.toSeconds(), TimeUnit.SECONDS)).contains("has ended");
        assertThat(other).as("another user's stream goes on").isNotDone();
        other.cancel(true);
    }

    @Test
    void aSessionsStreamEndsWithinSecondsOfItsLogoutElsewhere() throws Exception {
        String token = createUser("carol");
        String cookie = login(token);
        CompletableFuture<String> stream = open("Cookie", cookie);
        CompletableFuture<String> sameUsersToken = open("Authorization", "Bearer " + token);

        String csrf = TestDatabase.get().strings("SELECT csrf FROM browser_sessions").getFirst();
        HttpResponse<String> logout = http.send(HttpRequest.newBuilder(uri("/logout")).header("Cookie", cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("_csrf=" + csrf)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(logout.statusCode()).isEqualTo(302);

        assertThat(stream.get(ENDS_WITHIN.toSeconds(), TimeUnit.SECONDS)).contains("has ended");
        assertThat(sameUsersToken).as("the user's token was not logged out").isNotDone();
        sameUsersToken.cancel(true);
    }

    @Test
    void aStreamEndsWhenAnotherNodeDeletesItsSessionOrUserInTheDatabase() throws Exception {
        String token = createUser("dave");
        CompletableFuture<String> byCookie = open("Cookie", login(token));
        TestDatabase.get().execute("DELETE FROM browser_sessions");
        assertThat(byCookie.get(ENDS_WITHIN.toSeconds(), TimeUnit.SECONDS)).contains("has ended");

        CompletableFuture<String> byToken = open("Authorization", "Bearer " + token);
        TestDatabase.get().execute("DELETE FROM users");
        assertThat(byToken.get(ENDS_WITHIN.toSeconds(), TimeUnit.SECONDS)).contains("has ended");
    }

    /** Opens a stream with one header; the future completes with everything it sent once the server ends it. */
    private CompletableFuture<String> open(String header, String value) throws Exception {
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(uri("/api/v1/events/stream")).header(header, value).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        CompletableFuture<String> ended = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            StringBuilder sent = new StringBuilder();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    sent.append(line).append('\n');
                }
                ended.complete(sent.toString());
            } catch (Exception e) {
                ended.completeExceptionally(e);
            }
        });
        ended.whenComplete((text, failure) -> {
            if (ended.isCancelled()) {
                try {
                    response.body().close();
                } catch (Exception ignored) {
                    // closing a cancelled stream
                }
            }
        });
        return ended;
    }

    private String login(String token) throws Exception {
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(uri("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        String setCookie = started.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
