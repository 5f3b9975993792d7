package io.pollster.user;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Throttling of failed token checks ({@code pollster.auth.*}).
 *
 * @param maxFailures      invalid bearer tokens a client address may present within
 *                         {@code failureWindow}; beyond that its token checks are answered 429
 *                         without a database lookup until the window ends
 * @param failureWindow    the window, counted from the address's first failure in it
 * @param trackedAddresses addresses remembered at once (the least recently used are forgotten),
 *                         so a flood from many addresses costs bounded memory
 * @param recheckInterval  how often the credentials of open event streams are checked again
 *                         against the database: a stream ends within this of its user, token or
 *                         web UI session being deleted on any node
 */
@ConfigurationProperties("pollster.auth")
public record AuthProperties(
        @DefaultValue("20") int maxFailures,
        @DefaultValue("1m") Duration failureWindow,
        @DefaultValue("100000") int trackedAddresses,
        @DefaultValue("2s") Duration recheckInterval) {

    public AuthProperties {
        if (maxFailures < 1 || failureWindow.isNegative() || failureWindow.isZero() || trackedAddresses < 1
                || recheckInterval.isNegative() || recheckInterval.isZero()) {
            throw new IllegalArgumentException("pollster.auth needs max-failures >= 1, a positive failure-window,"
                    + " tracked-addresses >= 1 and a positive recheck-interval");
        }
    }
}
