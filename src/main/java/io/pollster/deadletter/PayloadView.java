package io.pollster.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pollster.ingest.IngestMessages;
import io.pollster.proto.v1.IngestBatch;
import io.pollster.proto.v1.PollTask;
import io.pollster.transport.DeadLetterType;
import tools.jackson.core.JacksonException;
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

    JsonNode render(DeadLetterType type, byte[] payload) {
        try {
            return switch (type) {
                case POLL -> poll(PollTask.parseFrom(payload));
                case MESSAGE -> messages(IngestBatch.parseFrom(payload));
                case DELIVERY -> delivery(payload);
                case PAGE -> raw(payload);
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

    /** A message retried on its own (the usual dead letter) as the message; an entry of several as their list. */
    private JsonNode messages(IngestBatch batch) {
        if (batch.getMessagesCount() == 1) {
            return IngestMessages.json(json, batch.getMessages(0));
        }
        ObjectNode view = json.createObjectNode();
        batch.getMessagesList().forEach(m -> view.withArray("messages").add(IngestMessages.json(json, m)));
        return view;
    }

    /** A delivery's dead letter is a small JSON object naming the delivery, its event and its output. */
    private JsonNode delivery(byte[] payload) {
        try {
            JsonNode node = json.readTree(new String(payload, StandardCharsets.UTF_8));
            return node.isObject() ? node : raw(payload);
        } catch (JacksonException e) {
            return raw(payload);
        }
    }

    private JsonNode raw(byte[] payload) {
        return json.getNodeFactory().stringNode(Base64.getEncoder().encodeToString(payload));
    }
}
