package io.pollster.poll.fetch;

import java.time.Duration;

/** What one {@link Fetcher#fetch} came to, after its retries. */
public sealed interface FetchResult {

    /** Requests actually sent, counting retries but not redirects within one attempt. */
    int attempts();

    /** Wall time from the first attempt to the outcome, waits between attempts included. */
    Duration duration();

    /**
     * A 2xx answer with its whole body.
     *
     * @param contentType  the {@code Content-Type} header as sent, or {@code null}
     * @param etag         the {@code ETag} header, or {@code null}
     * @param lastModified the {@code Last-Modified} header, or {@code null}
     * @param body         the body, decoded from gzip/deflate; empty for HEAD and 204
     */
    record Fetched(int status, String contentType, String etag, String lastModified, byte[] body,
                   int attempts, Duration duration) implements FetchResult {
    }

    /** A 304 to a conditional request, with the validators the 304 carried, if any. */
    record NotModified(String etag, String lastModified, int attempts, Duration duration) implements FetchResult {
    }

    /**
     * No usable answer.
     *
     * @param status the last HTTP status, or {@code null} when no HTTP answer came
     * @param error  short and human; never carries secret header values or body contents
     */
    record Failed(Integer status, String error, int attempts, Duration duration) implements FetchResult {
    }
}
