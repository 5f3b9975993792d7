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
 */
@ConfigurationProperties("pollster.auth")
public record AuthProperties(
        @DefaultValue("20") int maxFailures,
        @DefaultValue("1m") Duration failureWindow,
        @DefaultValue("100000") int trackedAddresses) {

    public AuthProperties {
        if (maxFailures < 1 || failureWindow.isNegative() || failureWindow.isZero() || trackedAddresses < 1) {
            throw new IllegalArgumentException(
                    "pollster.auth needs max-failures >= 1, a positive failure-window and tracked-addresses >= 1");
        }
    }
}
