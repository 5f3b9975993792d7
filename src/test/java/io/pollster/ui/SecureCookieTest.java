package io.pollster.ui;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Behind a TLS-terminating proxy (server.forward-headers-strategy, X-Forwarded-Proto: https) the
 * session cookie is Secure and named __Host-, and over TLS only a __Host- cookie is a session.
 */
@TestPropertySource(properties = "server.forward-headers-strategy=native")
class SecureCookieTest extends IntegrationTest {

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @Test
    void behindATlsProxyTheCookieIsSecureHostPrefixedAndOnlyThatNameIsASession() throws Exception {
        String token = createUser("mona");

        String setCookie = login(token, true).headers().firstValue("Set-Cookie").orElseThrow();

        assertThat(setCookie).startsWith("__Host-pollster_session=").contains("Secure", "Path=/", "HttpOnly", "SameSite=Strict")
                .doesNotContainIgnoringCase("Domain=");
        String value = setCookie.substring("__Host-pollster_session=".length(), setCookie.indexOf(';'));
        assertThat(get("__Host-pollster_session=" + value, true).statusCode()).isEqualTo(200);
        assertThat(get("pollster_session=" + value, true).statusCode()).as("a plain-named cookie over TLS").isEqualTo(302);
        assertThat(get("__Host-pollster_session=" + value, false).statusCode()).as("the __Host- cookie over plain HTTP").isEqualTo(302);
    }

    @Test
    void withoutTheForwardedProtoTheCookieStaysPlain() throws Exception {
        String setCookie = login(createUser("nils"), false).headers().firstValue("Set-Cookie").orElseThrow();

        assertThat(setCookie).startsWith("pollster_session=").doesNotContain("Secure");
    }

    private HttpResponse<String> login(String token, boolean overTls) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
        if (overTls) {
            request.header("X-Forwarded-Proto", "https");
        }
        HttpResponse<String> started = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(started.statusCode()).isEqualTo(302);
        return started;
    }

    private HttpResponse<String> get(String cookie, boolean overTls) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/")).header("Cookie", cookie).GET();
        if (overTls) {
            request.header("X-Forwarded-Proto", "https");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
