package io.pollster.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** How a redirect rewrites the request; no network. */
class HopTest {

    private static final URI URL = URI.create("https://api.example.com/v1/items");

    private static FetchRequest request(String method, URI url, Map<String, String> headers, Map<String, String> secrets,
                                        String body) {
        return new FetchRequest(method, url, headers, secrets, body == null ? null : body.getBytes(), Duration.ofSeconds(10),
                null, null);
    }

    @Test
    void turnsAPostIntoAGetOn301And302ButKeepsOtherMethods() {
        Hop post = Hop.first(request("POST", URL, Map.of("Content-Type", "application/json"), Map.of(), "{}"));
        Hop put = Hop.first(request("PUT", URL, Map.of(), Map.of(), "{}"));
        Hop head = Hop.first(request("HEAD", URL, Map.of(), Map.of(), null));
        URI next = URL.resolve("/next");

        assertThat(post.redirectedTo(301, next)).satisfies(hop -> {
            assertThat(hop.method()).isEqualTo("GET");
            assertThat(hop.body()).isNull();
            assertThat(hop.headers()).doesNotContainKey("Content-Type");
        });
        assertThat(post.redirectedTo(308, next).method()).isEqualTo("POST");
        assertThat(post.redirectedTo(308, next).body()).isNotNull();
        assertThat(put.redirectedTo(302, next).method()).isEqualTo("PUT");
        assertThat(put.redirectedTo(303, next).method()).isEqualTo("GET");
        assertThat(head.redirectedTo(303, next).method()).isEqualTo("HEAD");
    }

    @Test
    void dropsCredentialsWhenSchemeHostOrPortChangeAndNeverGetsThemBack() {
        Hop first = Hop.first(request("GET", URL, Map.of("authorization", "Bearer a", "Accept", "application/json"),
                Map.of("X-Api-Key", "k"), null));

        for (URI elsewhere : new URI[]{URI.create("http://api.example.com/v1/items"),
                URI.create("https://api.example.com:8443/v1/items"), URI.create("https://cdn.example.com/v1/items")}) {
            Hop moved = first.redirectedTo(302, elsewhere);
            assertThat(moved.secretHeaders()).isEmpty();
            assertThat(moved.headers()).containsOnlyKeys("Accept");
            assertThat(moved.redirectedTo(302, URL).secretHeaders()).isEmpty();
        }
        Hop sameOrigin = first.redirectedTo(302, URI.create("https://API.example.com:443/other"));
        assertThat(sameOrigin.secretHeaders()).containsEntry("X-Api-Key", "k");
        assertThat(sameOrigin.headers()).containsKey("Authorization");
    }

    @Test
    void resolvesRelativeLocationsAgainstTheCurrentUrl() throws Exception {
        Hop hop = Hop.first(request("GET", URL, Map.of(), Map.of(), null));
        Hop bare = Hop.first(request("GET", URI.create("https://api.example.com"), Map.of(), Map.of(), null));

        assertThat(hop.resolve("other")).isEqualTo(URI.create("https://api.example.com/v1/other"));
        assertThat(hop.resolve("/root")).isEqualTo(URI.create("https://api.example.com/root"));
        assertThat(hop.resolve("//cdn.example.com/x")).isEqualTo(URI.create("https://cdn.example.com/x"));
        assertThat(bare.resolve("x")).isEqualTo(URI.create("https://api.example.com/x"));
    }
}
