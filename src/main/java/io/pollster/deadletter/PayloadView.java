package io.pollster.deadletter;

import java.time.Instant;
import java.util.Base64;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pollster.proto.v1.IngestMessage;
import io.pollster.proto.v1.PollTask;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A dead letter's payload as its owner can read it: the protobuf message its type names
 * ({@code src/main/proto}), as JSON. A payload that does not decode (the poison that made it a
 * dead letter, perhaps) is shown as a base64 string.
 */
final class PayloadView {

    private final JsonMapper json;

    PayloadView(JsonMapper json) {
        this.json = json;
    }

    JsonNode render(String type, byte[] payload) {
        try {
            return switch (type) {
                case "poll" -> poll(PollTask.parseFrom(payload));
                case "message" -> message(IngestMessage.parseFrom(payload));
                default -> raw(payload);
            };
        } catch (InvalidProtocolBufferException e) {
            return raw(payload);
        }
    }

    private JsonNode poll(PollTask task) {
        ObjectNode view = json.createObjectNode();
        view.put("jobId", task.getJobId());
        view.put("dueAt", task.hasDueAtMs() ? Instant.ofEpochMilli(task.getDueAtMs()).toString() : null);
        view.put("manual", task.getManual());
        return view;
    }

    private JsonNode message(IngestMessage message) {
        ObjectNode view = json.createObjectNode();
        view.put("id", message.getId());
        view.put("userId", message.getUserId());
        view.put("receivedAt", message.getReceivedAt());
        view.put("timestamp", message.getTimestamp());
        if (message.hasValue()) {
            view.put("value", message.getValue());
        }
        if (message.hasKey()) {
            view.put("key", message.getKey());
        }
        return view;
    }

    private JsonNode raw(byte[] payload) {
        return json.getNodeFactory().stringNode(Base64.getEncoder().encodeToString(payload));
    }
}
