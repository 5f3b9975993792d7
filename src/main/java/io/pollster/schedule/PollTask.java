package io.pollster.schedule;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * "Poll this job now": what the scheduler (or a run-now) puts on the poll queue.
 *
 * @param dueAt when the fire was due (null for a run-now), for the schedule-lag metric
 */
public record PollTask(UUID jobId, Instant dueAt, boolean manual) {

    public static final String QUEUE = "poll";
    private static final String FORMAT = "p1";

    public byte[] encode() {
        String due = dueAt == null ? "-" : Long.toString(dueAt.toEpochMilli());
        return (FORMAT + "," + jobId + "," + due + "," + (manual ? 1 : 0)).getBytes(StandardCharsets.US_ASCII);
    }

    /** @throws IllegalArgumentException for a payload of another format (a poison message) */
    public static PollTask decode(byte[] payload) {
        String[] parts = new String(payload, StandardCharsets.US_ASCII).split(",");
        if (parts.length != 4 || !FORMAT.equals(parts[0])) {
            throw new IllegalArgumentException("Not a poll task of format " + FORMAT);
        }
        Instant due = "-".equals(parts[2]) ? null : Instant.ofEpochMilli(Long.parseLong(parts[2]));
        return new PollTask(UUID.fromString(parts[1]), due, "1".equals(parts[3]));
    }
}
