package io.pollster.fetch;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings shared by every fetch of one {@link Fetcher}.
 *
 * @param allowPrivateNetworks connect to loopback, private, link-local and other non-public
 *                             addresses too ({@code POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS})
 * @param connectTimeout       longest wait for a TCP (and TLS) connection
 * @param maxRedirects         redirects followed within one attempt; one more fails the attempt
 * @param maxBodySize          largest response body in bytes, after decoding gzip/deflate
 * @param perHostConcurrency   requests in flight to one host at a time, from this process
 * @param perUserHostConcurrency of those, the most one user's requests may hold (1 to
 *                             {@code perHostConcurrency}); see {@link #halfOf}
 * @param userAgent            {@code User-Agent} sent unless the request sets its own
 */
public record FetchSettings(boolean allowPrivateNetworks, Duration connectTimeout, int maxRedirects,
                            long maxBodySize, int perHostConcurrency, int perUserHostConcurrency, String userAgent) {

    public FetchSettings {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive");
        }
        if (maxRedirects < 0) {
            throw new IllegalArgumentException("maxRedirects must not be negative");
        }
        if (maxBodySize < 1 || maxBodySize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxBodySize must be between 1 byte and 2 GiB");
        }
        if (perHostConcurrency < 1) {
            throw new IllegalArgumentException("perHostConcurrency must be at least 1");
        }
        if (perUserHostConcurrency < 1 || perUserHostConcurrency > perHostConcurrency) {
            throw new IllegalArgumentException("perUserHostConcurrency must be between 1 and perHostConcurrency");
        }
        if (userAgent == null || userAgent.isBlank()) {
            throw new IllegalArgumentException("userAgent must not be blank");
        }
    }

    /**
     * A user's default share of a host's requests in flight: half (at least one), so that one
     * user's slow requests always leave the other half to everyone else.
     */
    public static int halfOf(int perHostConcurrency) {
        return Math.max(1, perHostConcurrency / 2);
    }
}
