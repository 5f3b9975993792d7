package io.pollster.deadletter;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long dead letters are kept ({@code pollster.retention.*}, beside the versions' settings).
 *
 * @param deadLetters    dead letters kept per user, newest first (10000); a job's repeats of one
 *                       failure are one dead letter
 * @param deadLettersAge dead letters older than this are deleted (30d)
 * @param interval       how often pruning runs (shared with version pruning, 5m)
 */
@ConfigurationProperties("pollster.retention")
public record DeadLetterRetentionProperties(
        @DefaultValue("10000") int deadLetters,
        @DefaultValue("30d") Duration deadLettersAge,
        @DefaultValue("5m") Duration interval) {
}
