package io.pollster.schedule;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long one fire's poll may take in all — queueing, every attempt, the waits between them —
 * before it fails ({@code pollster.poller.max-poll-time}, default 30m). The scheduler holds the
 * job's next fires back for as long (plus a margin), so a fire whose poll was lost with a dead
 * process delays the job at most this long.
 */
@ConfigurationProperties("pollster.poller")
public record PollTimeLimit(@DefaultValue("30m") Duration maxPollTime) {

    /** A poll still running this long after its fire is taken to be lost. */
    static final Duration MARGIN = Duration.ofMinutes(1);

    public PollTimeLimit {
        if (maxPollTime.compareTo(Duration.ofSeconds(10)) < 0) {
            throw new IllegalArgumentException("pollster.poller.max-poll-time must be at least 10s");
        }
    }

    Duration lease() {
        return maxPollTime.plus(MARGIN);
    }
}
