package io.pollster.fetch;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * One HTTP request to poll.
 *
 * @param method          GET, POST, PUT, PATCH, DELETE or HEAD (any case; stored upper-case)
 * @param url             absolute {@code http} or {@code https} URL
 * @param headers         ordinary request headers; may be logged by name, never by value
 * @param secretHeaders   headers that carry credentials; sent only to the URL's own origin,
 *                        dropped on a redirect to another origin, never logged or echoed
 * @param body            sent for POST, PUT and PATCH; {@code null} for none. Not copied.
 * @param timeout         deadline for one attempt as a whole: connect, response and body,
 *                        across the redirects it follows
 * @param ifNoneMatch     sent as {@code If-None-Match} when not {@code null}
 * @param ifModifiedSince sent as {@code If-Modified-Since} when not {@code null}
 */
public record FetchRequest(String method, URI url, Map<String, String> headers, Map<String, String> secretHeaders,
                           byte[] body, Duration timeout, String ifNoneMatch, String ifModifiedSince) {

    static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");

    /** Headers that describe the connection or the message framing, which only the client may set. */
    private static final Set<String> RESERVED_HEADERS = Set.of(
            "host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te",
            "trailer", "expect", "proxy-connection");

    /** Headers that carry credentials even when a job gives them in clear: they never leave the job's origin. */
    private static final Set<String> CREDENTIAL_HEADERS = Set.of("authorization", "proxy-authorization", "cookie");

    /** True for Authorization, Proxy-Authorization and Cookie, in any case. */
    public static boolean isCredentialHeader(String name) {
        return CREDENTIAL_HEADERS.contains(name.toLowerCase(Locale.ROOT));
    }

    /** True for a header only the HTTP client may set (connection and framing). */
    public static boolean isReservedHeader(String name) {
        return RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT));
    }

    public FetchRequest {
        Objects.requireNonNull(method, "method");
        method = method.toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("method must be one of GET, POST, PUT, PATCH, DELETE, HEAD");
        }
        Objects.requireNonNull(url, "url");
        if (!isHttp(url) || url.getRawAuthority() == null) {
            throw new IllegalArgumentException("url must be an absolute http or https URL with a host");
        }
        if (url.getRawAuthority().contains("@")) {
            throw new IllegalArgumentException("url must not carry user info; send credentials in a secret header");
        }
        headers = checkedHeaders(headers, "headers");
        secretHeaders = checkedHeaders(secretHeaders, "secretHeaders");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        checkValue(ifNoneMatch, "If-None-Match");
        checkValue(ifModifiedSince, "If-Modified-Since");
    }

    /** A plain GET without headers or validators. */
    public static FetchRequest get(URI url, Duration timeout) {
        return new FetchRequest("GET", url, Map.of(), Map.of(), null, timeout, null, null);
    }

    static boolean isHttp(URI url) {
        return url.isAbsolute() && ("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme()));
    }

    private static Map<String, String> checkedHeaders(Map<String, String> headers, String field) {
        if (headers == null || headers.isEmpty()) {
            return Map.of();
        }
        // why: names are case-insensitive, so "authorization" and "Authorization" must not both survive
        var checked = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, value) -> {
            if (name == null || name.isEmpty() || !name.chars().allMatch(FetchRequest::isTokenChar)) {
                throw new IllegalArgumentException(field + " has an illegal header name");
            }
            if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException(field + " may not set " + name + "; the HTTP client sets it");
            }
            checkValue(Objects.requireNonNull(value, () -> field + " " + name + " has no value"), name);
            checked.put(name, value);
        });
        return java.util.Collections.unmodifiableMap(checked);
    }

    // why: the message names the header, never the value, which may be a credential
    private static void checkValue(String value, String name) {
        if (value != null && !value.chars().allMatch(c -> c == '\t' || c >= 0x20 && c != 0x7f)) {
            throw new IllegalArgumentException("header " + name + " has an illegal character in its value");
        }
    }

    private static boolean isTokenChar(int c) {
        return c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }
}
