package io.pollster.fetch;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One request within an attempt: the first one, or one a redirect leads to.
 *
 * @param headers       ordinary headers, validators included, keyed case-insensitively
 * @param secretHeaders credential headers; empty once the chain has left the first origin
 */
record Hop(String method, URI url, byte[] body, Map<String, String> headers, Map<String, String> secretHeaders) {

    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");
    private static final Set<String> CONTENT_HEADERS = Set.of(
            "content-type", "content-encoding", "content-language", "content-location");

    static Hop first(FetchRequest request) {
        var headers = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(request.headers());
        if (request.ifNoneMatch() != null) {
            headers.put("If-None-Match", request.ifNoneMatch());
        }
        if (request.ifModifiedSince() != null) {
            headers.put("If-Modified-Since", request.ifModifiedSince());
        }
        byte[] body = BODY_METHODS.contains(request.method()) ? request.body() : null;
        return new Hop(request.method(), request.url(), body, Collections.unmodifiableMap(headers),
                request.secretHeaders());
    }

    /** The host whose per-host limit this request counts against. */
    String host() {
        return Origin.of(url).host();
    }

    /**
     * The request a redirect with this status leads to. 303 turns into GET (HEAD stays HEAD), and so
     * does POST on 301/302, both without the body; 307 and 308 repeat method and body. Leaving the
     * origin drops the secret headers and Authorization, Proxy-Authorization and Cookie for good.
     */
    Hop redirectedTo(int status, URI target) {
        String nextMethod = method;
        byte[] nextBody = body;
        var nextHeaders = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
        nextHeaders.putAll(headers);
        Map<String, String> nextSecrets = secretHeaders;
        boolean toGet = status == 303 && !method.equals("HEAD") || (status == 301 || status == 302) && method.equals("POST");
        if (toGet) {
            nextMethod = "GET";
            nextBody = null;
            nextHeaders.keySet().removeIf(name -> CONTENT_HEADERS.contains(name.toLowerCase(Locale.ROOT)));
        }
        if (!Origin.of(target).equals(Origin.of(url))) {
            nextSecrets = Map.of();
            nextHeaders.keySet().removeIf(FetchRequest::isCredentialHeader);
        }
        return new Hop(nextMethod, target, nextBody, Collections.unmodifiableMap(nextHeaders), nextSecrets);
    }

    /**
     * Resolves a {@code Location} against this request's URL.
     *
     * @throws URISyntaxException when the location is not a valid URI reference
     */
    URI resolve(String location) throws URISyntaxException {
        URI reference = new URI(location.trim());
        // why: URI.resolve mishandles a base with an empty path ("http://h" + "x" gives "http://hx")
        URI base = url.getRawPath() == null || url.getRawPath().isEmpty() ? url.resolve("/") : url;
        return base.resolve(reference);
    }
}
