package io.pollster.fetch;

import java.time.Duration;

/** What one attempt of a fetch ({@link Fetcher#fetch}) came to: the request and the redirects it led to. */
public sealed interface FetchResult {

    /** Wall time of the attempt, redirects included. */
    Duration duration();

    /**
     * A 2xx answer with its whole body.
     *
     * @param contentType  the {@code Content-Type} header as sent, or {@code null}
     * @param etag         the {@code ETag} header, or {@code null}
     * @param lastModified the {@code Last-Modified} header, or {@code null}
     * @param links        the {@code Link} headers (RFC 8288), joined, or {@code null}
     * @param body         the body, decoded from gzip/deflate; empty for HEAD and 204
     */
    record Fetched(int status, String contentType, String etag, String lastModified, String links, byte[] body,
                   Duration duration)
            implements FetchResult {
    }

    /** A 304 to a conditional request, with the validators the 304 carried, if any. */
    record NotModified(String etag, String lastModified, Duration duration) implements FetchResult {
    }

    /**
     * No usable answer.
     *
     * @param status     the HTTP status, or {@code null} when no HTTP answer came
     * @param error      short and human; never carries secret header values or body contents
     * @param retryable  whether another attempt may do better (a 5xx, a timeout), or not (a refused
     *                   address, a body over the limit)
     * @param retryAfter the wait a 429 or 503 asked for, or {@code null}
     * @param upstreams  whether the upstream itself gave it (a status, a refused or reset connection,
     *                   an unknown host, a malformed answer): any caller would have got the same. False
     *                   for what the caller's own settings made of the attempt (its timeout, the body
     *                   limit, the redirect limit, the address policy, an interruption), which another
     *                   caller of the same request must never be given
     */
    record Failed(Integer status, String error, boolean retryable, Duration retryAfter, Duration duration,
                  boolean upstreams)
            implements FetchResult {

        /** A failure of the caller's own making (not the upstream's answer). */
        public Failed(Integer status, String error, boolean retryable, Duration retryAfter, Duration duration) {
            this(status, error, retryable, retryAfter, duration, false);
        }
    }

    /**
     * Not tried: every request slot of the host was taken for as long as the caller would wait.
     * Nothing was sent; it says nothing about the upstream.
     */
    record HostBusy(String host, Duration duration) implements FetchResult {
    }

    /**
     * Not finished: the process's budget of bytes in flight could not hold the body (too many
     * large bodies at once). Says nothing about the upstream; try again later.
     */
    record OutOfBudget(Duration duration) implements FetchResult {
    }
}
