package io.pollster.system;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What Pollster keeps and for how long ({@code pollster.retention.*}); pruning runs in the
 * background on nodes with the scheduler role.
 *
 * @param versions       versions kept per job (1000)
 * @param age            versions older than this are pruned (90d); the newest version of a job is
 *                       always kept
 * @param deadLetters    dead letters kept per user, newest first (10000); a job's repeats of one
 *                       failure are one dead letter
 * @param deadLettersAge dead letters older than this are deleted (30d)
 * @param interval       how often pruning runs (5m)
 */
@ConfigurationProperties("pollster.retention")
public record RetentionProperties(
        @DefaultValue("1000") int versions,
        @DefaultValue("90d") Duration age,
        @DefaultValue("10000") int deadLetters,
        @DefaultValue("30d") Duration deadLettersAge,
        @DefaultValue("5m") Duration interval) {
}
