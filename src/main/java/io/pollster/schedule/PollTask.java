package io.pollster.schedule;

import java.time.Instant;
import java.util.UUID;

import com.google.protobuf.InvalidProtocolBufferException;

/**
 * "Poll this job now": what the scheduler (or a run-now, or a replay) puts on the poll queue,
 * encoded as the protobuf {@code pollster.v1.PollTask}.
 *
 * @param dueAt when the fire was due (null for a run-now), for the schedule-lag metric
 */
public record PollTask(UUID jobId, Instant dueAt, boolean manual) {

    public static final String QUEUE = "poll";

    public byte[] encode() {
        var message = io.pollster.proto.v1.PollTask.newBuilder().setJobId(jobId.toString()).setManual(manual);
        if (dueAt != null) {
            message.setDueAtMs(dueAt.toEpochMilli());
        }
        return message.build().toByteArray();
    }

    /** @throws IllegalArgumentException for a payload that is not a poll task (a poison message) */
    public static PollTask decode(byte[] payload) {
        try {
            var message = io.pollster.proto.v1.PollTask.parseFrom(payload);
            Instant due = message.hasDueAtMs() ? Instant.ofEpochMilli(message.getDueAtMs()) : null;
            return new PollTask(UUID.fromString(message.getJobId()), due, message.getManual());
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            throw new IllegalArgumentException("Not a poll task: " + e.getMessage(), e);
        }
    }
}
