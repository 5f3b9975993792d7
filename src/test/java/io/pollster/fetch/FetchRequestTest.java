package io.pollster.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** What a request may be; no network. */
class FetchRequestTest {

    private static final URI URL = URI.create("https://api.example.com/v1/items");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static FetchRequest request(String method, URI url, Map<String, String> headers, Map<String, String> secrets,
                                        String body) {
        return new FetchRequest(method, url, headers, secrets, body == null ? null : body.getBytes(), TIMEOUT, null, null);
    }

    @Test
    void acceptsAnyCaseOfTheMethodNames() {
        assertThat(request("patch", URL, Map.of(), Map.of(), "{}").method()).isEqualTo("PATCH");
    }

    @Test
    void rejectsRequestsThatCannotBeSent() {
        assertThatIllegalArgumentException().isThrownBy(() -> request("TRACE", URL, Map.of(), Map.of(), null));
        assertThatIllegalArgumentException().isThrownBy(() -> request("GET", URI.create("ftp://example.com/x"), Map.of(), Map.of(), null));
        assertThatIllegalArgumentException().isThrownBy(() -> request("GET", URI.create("/relative"), Map.of(), Map.of(), null));
        assertThatIllegalArgumentException().isThrownBy(() -> request("GET", URI.create("https://user:pw@example.com/"), Map.of(), Map.of(), null))
                .withMessageNotContaining("pw");
        assertThatIllegalArgumentException().isThrownBy(() -> request("GET", URL, Map.of("Host", "internal"), Map.of(), null));
        assertThatIllegalArgumentException().isThrownBy(() -> request("GET", URL, Map.of("Bad Name", "x"), Map.of(), null));
        assertThatIllegalArgumentException().isThrownBy(() -> new FetchRequest("GET", URL, Map.of(), Map.of(), null, Duration.ZERO, null, null));
    }

    @Test
    void namesAnIllegalHeaderValueWithoutQuotingIt() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> request("GET", URL, Map.of(), Map.of("Authorization", "Bearer abc\r\nX-Evil: 1"), null))
                .withMessage("header Authorization has an illegal character in its value");
    }

    @Test
    void sendsTheValidatorsAsHeaders() {
        var conditional = new FetchRequest("GET", URL, Map.of("if-none-match", "stale"), Map.of(), null, TIMEOUT,
                "\"v2\"", "Tue, 15 Nov 1994 12:45:26 GMT");

        assertThat(Hop.first(conditional).headers())
                .containsEntry("If-None-Match", "\"v2\"")
                .containsEntry("If-Modified-Since", "Tue, 15 Nov 1994 12:45:26 GMT")
                .hasSize(2);
    }
}
