package io.pollster.ingest;

import java.util.UUID;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pollster.proto.v1.IngestMessage;
import io.pollster.system.Ids;
import io.pollster.user.Caller;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A pushed message on its way to a file: queued as the protobuf {@code pollster.v1.IngestMessage}
 * (the message as sent, plus who sent it, an id and when it came), written as one JSON line.
 */
final class IngestMessages {

    private final JsonMapper json;

    IngestMessages(JsonMapper json) {
        this.json = json;
    }

    static byte[] encode(Caller caller, MessageParser.Message message, String receivedAt) {
        IngestMessage.Builder queued = IngestMessage.newBuilder()
                .setId(Ids.next().toString())
                .setUserId(caller.userId().toString())
                .setReceivedAt(receivedAt)
                .setTimestamp(message.timestamp());
        if (message.value() != null) {
            queued.setValue(message.value());
        }
        if (message.key() != null) {
            queued.setKey(message.key());
        }
        return queued.build().toByteArray();
    }

    /** The line written to the batch file. */
    byte[] line(byte[] queued) {
        IngestMessage message = decode(queued);
        ObjectNode line = json.createObjectNode();
        line.put("id", message.getId());
        line.put("userId", message.getUserId());
        line.put("receivedAt", message.getReceivedAt());
        line.put("timestamp", message.getTimestamp());
        if (message.hasValue()) {
            line.put("value", message.getValue());
        }
        if (message.hasKey()) {
            line.put("key", message.getKey());
        }
        return json.writeValueAsBytes(line);
    }

    /** Who sent the message, or null when the payload cannot be read. */
    static UUID sender(byte[] queued) {
        try {
            return UUID.fromString(decode(queued).getUserId());
        } catch (IllegalArgumentException unreadable) {
            return null;
        }
    }

    private static IngestMessage decode(byte[] queued) {
        try {
            return IngestMessage.parseFrom(queued);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("Not an ingest message: " + e.getMessage(), e);
        }
    }
}
