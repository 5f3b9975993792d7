package io.pollster.schedule;

import java.time.Instant;
import java.util.UUID;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pollster.system.EpochMicros;

/**
 * "Poll this job now": what the scheduler puts on the poll queue, encoded as the protobuf
 * {@code pollster.v1.PollTask}. A poll that must wait (a retry's backoff, a busy host) goes back
 * on the queue as the same task with its progress: the attempt it is at, when it started, how
 * often it was put off.
 *
 * @param dueAt     when the fire was due (null for a run-now), for the schedule-lag metric
 * @param firedAt   the fire this poll carries out, which it marks done when it is over; null on
 *                  tasks that predate fire tracking
 * @param attempt   the attempt this delivery makes, from 1
 * @param startedAt when the first attempt started; null before it has
 * @param deferrals how often it was put off without an attempt
 */
public record PollTask(UUID jobId, Instant dueAt, boolean manual, Instant firedAt, int attempt, Instant startedAt,
                       int deferrals) {

    public static final String QUEUE = "poll";

    public PollTask {
        if (attempt < 1 || deferrals < 0) {
            throw new IllegalArgumentException("attempt must be at least 1 and deferrals not negative");
        }
    }

    /** A fire's task, before any attempt. */
    public static PollTask fire(UUID jobId, Instant dueAt, boolean manual, Instant firedAt) {
        return new PollTask(jobId, dueAt, manual, firedAt, 1, null, 0);
    }

    /** This poll, to try again: the next attempt. */
    public PollTask retried(Instant started) {
        return new PollTask(jobId, dueAt, manual, firedAt, attempt + 1, started, deferrals);
    }

    /** This poll, put off without an attempt. */
    public PollTask deferred() {
        return new PollTask(jobId, dueAt, manual, firedAt, attempt, startedAt, deferrals + 1);
    }

    public byte[] encode() {
        var message = io.pollster.proto.v1.PollTask.newBuilder()
                .setJobId(jobId.toString())
                .setManual(manual)
                .setAttempt(attempt)
                .setDeferrals(deferrals);
        if (dueAt != null) {
            message.setDueAtMs(dueAt.toEpochMilli());
        }
        if (firedAt != null) {
            message.setFiredAtUs(EpochMicros.of(firedAt));
        }
        if (startedAt != null) {
            message.setStartedAtUs(EpochMicros.of(startedAt));
        }
        return message.build().toByteArray();
    }

    /** @throws IllegalArgumentException for a payload that is not a poll task (a poison message) */
    public static PollTask decode(byte[] payload) {
        try {
            var message = io.pollster.proto.v1.PollTask.parseFrom(payload);
            return new PollTask(UUID.fromString(message.getJobId()),
                    message.hasDueAtMs() ? Instant.ofEpochMilli(message.getDueAtMs()) : null,
                    message.getManual(),
                    message.hasFiredAtUs() ? EpochMicros.toInstant(message.getFiredAtUs()) : null,
                    Math.max(1, message.getAttempt()),
                    message.hasStartedAtUs() ? EpochMicros.toInstant(message.getStartedAtUs()) : null,
                    Math.max(0, message.getDeferrals()));
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            throw new IllegalArgumentException("Not a poll task: " + e.getMessage(), e);
        }
    }

}
