package io.pollster.user;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts invalid bearer tokens per client address, so guessing tokens (or a client stuck on a
 * revoked one) costs a database lookup only {@code max-failures} times per window.
 *
 * <p>Only failures are throttled. A token that authenticated within the last hour is still
 * looked up from a throttled address, so one user's flood of typos does not lock out everyone
 * behind the same proxy or NAT; a guessed token cannot be among those without having been
 * guessed already. A valid token not seen lately waits for the window like any other. The admin
 * token is throttled like any other and never counts as recently valid: it is chosen by an
 * operator, may be weaker than 256 random bits, and a throttled address must learn nothing of a
 * guess at it (an admin behind the same address as a guesser waits for the window).
 *
 * <p>IPv6 clients are counted by their /64: one host usually owns a whole /64, and could
 * otherwise give each guess a fresh address.
 */
final class FailedTokenThrottle {

    private static final Logger log = LoggerFactory.getLogger(FailedTokenThrottle.class);
    private static final Duration REMEMBERED_VALID = Duration.ofHours(1);

    private final int maxFailures;
    private final Duration window;
    private final Clock clock;
    private final Cache<String, Window> windows;
    private final Cache<ByteBuffer, Boolean> recentlyValid;

    FailedTokenThrottle(AuthProperties properties, Clock clock) {
        this.maxFailures = properties.maxFailures();
        this.window = properties.failureWindow();
        this.clock = clock;
        this.windows = Caffeine.newBuilder().maximumSize(properties.trackedAddresses()).expireAfterWrite(window).build();
        this.recentlyValid = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(REMEMBERED_VALID).build();
    }

    /** The failures of one address since {@code until} minus the window. */
    private record Window(Instant until, int failures) {
    }

    /**
     * How long the address must wait before its next token check; null when it may be checked now
     * (its failures are below the limit, or the token authenticated lately).
     */
    Duration throttled(String address, byte[] tokenHash) {
        Window current = windows.getIfPresent(key(address));
        if (current == null || current.failures() < maxFailures) {
            return null;
        }
        Duration left = Duration.between(clock.instant(), current.until());
        if (left.isNegative() || left.isZero()) {
            return null;
        }
        return tokenHash != null && recentlyValid.getIfPresent(ByteBuffer.wrap(tokenHash)) != null ? null : left;
    }

    void failed(String address) {
        Instant now = clock.instant();
        String key = key(address);
        Window counted = windows.asMap().compute(key, (k, w) -> w == null || !now.isBefore(w.until())
                ? new Window(now.plus(window), 1)
                : new Window(w.until(), w.failures() + 1));
        if (counted.failures() == maxFailures) {
            log.warn("{} invalid tokens from {} within {}: its token checks are refused until {}", maxFailures, key, window,
                    counted.until());
        }
    }

    void succeeded(byte[] tokenHash) {
        recentlyValid.put(ByteBuffer.wrap(Arrays.copyOf(tokenHash, tokenHash.length)), Boolean.TRUE);
    }

    /** What an address is counted under: itself, or for IPv6 its /64. */
    static String key(String address) {
        if (address == null || address.indexOf(':') < 0) {
            return String.valueOf(address);
        }
        try {
            byte[] bytes = InetAddress.getByName(address).getAddress(); // an IPv6 literal: no name lookup
            if (bytes.length != 16) {
                return address; // an IPv4-mapped address comes back as IPv4
            }
            StringBuilder prefix = new StringBuilder();
            for (int i = 0; i < 8; i += 2) {
                prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
            }
            return prefix.append(":/64").toString();
        } catch (UnknownHostException | SecurityException notALiteral) {
            return address;
        }
    }
}
