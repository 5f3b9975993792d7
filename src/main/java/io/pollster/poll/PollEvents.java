package io.pollster.poll;

import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;

import io.pollster.output.EventLog;
import io.pollster.output.EventType;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The events a poll's outcome makes, written in the transaction that records the outcome: a new
 * version; a streak of failures reaching the job's {@code alertAfterFailures} (once per streak);
 * the first success after such a streak.
 */
@Component
class PollEvents {

    private static final HexFormat HEX = HexFormat.of();

    private final EventLog events;
    private final JsonMapper json;

    PollEvents(EventLog events, JsonMapper json) {
        this.events = events;
        this.json = json;
    }

    /** Whether a success now ends a streak that was reported. */
    static boolean recovers(PollState job, PollTarget target) {
        return job.consecutiveFailures() >= target.alertAfterFailures();
    }

    /** @param patch the JSON Patch from the previous version, as JSON text, or null */
    void versionCreated(PollState job, UUID versionId, byte[] hash, String patch, Instant at) {
        ObjectNode data = json.createObjectNode();
        data.put("versionId", versionId.toString());
        data.put("hash", HEX.formatHex(hash));
        data.put("previousHash", job.latestHash() == null ? null : HEX.formatHex(job.latestHash()));
        if (patch != null) {
            data.set("patch", json.readTree(patch));
        }
        events.append(job.id().value(), EventType.VERSION_CREATED, at, data);
    }

    /** After a failed poll: reports the streak when this failure makes it reach the job's threshold. */
    void failed(PollState job, int alertAfterFailures, PollRecord poll, Instant at) {
        int streak = job.consecutiveFailures() + 1;
        if (streak != alertAfterFailures) {
            return;
        }
        ObjectNode data = json.createObjectNode();
        data.put("consecutiveFailures", streak);
        data.put("error", poll.error());
        if (poll.httpStatus() != null) {
            data.put("httpStatus", poll.httpStatus());
        }
        events.append(job.id().value(), EventType.POLL_FAILED, at, data);
    }

    /** After a successful poll that {@link #recovers}. */
    void recovered(PollState job, Instant at) {
        ObjectNode data = json.createObjectNode();
        data.put("failuresBefore", job.consecutiveFailures());
        events.append(job.id().value(), EventType.POLL_RECOVERED, at, data);
    }
}
