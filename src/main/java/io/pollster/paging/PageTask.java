package io.pollster.paging;

import java.time.Instant;
import java.util.UUID;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pollster.system.EpochMicros;

/**
 * "Fetch page {@code number} of this run": what the page queue carries, encoded as the protobuf
 * {@code pollster.v1.PageTask}. Like a poll task it comes back with its progress when it must wait.
 * A task for a page that failed is a replay of its dead letter: the page is fetched again.
 */
record PageTask(UUID runId, UUID jobId, int number, int attempt, Instant startedAt, int deferrals) {

    static final String QUEUE = "page";

    PageTask {
        if (number < 1 || attempt < 1 || deferrals < 0) {
            throw new IllegalArgumentException("number and attempt must be at least 1, deferrals not negative");
        }
    }

    static PageTask first(UUID runId, UUID jobId, int number) {
        return new PageTask(runId, jobId, number, 1, null, 0);
    }

    PageTask retried(Instant started) {
        return new PageTask(runId, jobId, number, attempt + 1, started, deferrals);
    }

    PageTask deferred() {
        return new PageTask(runId, jobId, number, attempt, startedAt, deferrals + 1);
    }

    /** The task a dead letter keeps: replayed, it is fetched again from its first attempt. */
    PageTask forReplay() {
        return first(runId, jobId, number);
    }

    byte[] encode() {
        var message = io.pollster.proto.v1.PageTask.newBuilder()
                .setRunId(runId.toString())
                .setJobId(jobId.toString())
                .setNumber(number)
                .setAttempt(attempt)
                .setDeferrals(deferrals);
        if (startedAt != null) {
            message.setStartedAtUs(EpochMicros.of(startedAt));
        }
        return message.build().toByteArray();
    }

    /** @throws IllegalArgumentException for a payload that is not a page task */
    static PageTask decode(byte[] payload) {
        try {
            var message = io.pollster.proto.v1.PageTask.parseFrom(payload);
            return new PageTask(UUID.fromString(message.getRunId()), UUID.fromString(message.getJobId()), message.getNumber(),
                    Math.max(1, message.getAttempt()),
                    message.hasStartedAtUs() ? EpochMicros.toInstant(message.getStartedAtUs()) : null,
                    Math.max(0, message.getDeferrals()));
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            throw new IllegalArgumentException("Not a page task: " + e.getMessage(), e);
        }
    }
}
