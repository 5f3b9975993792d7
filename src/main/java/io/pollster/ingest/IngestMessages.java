package io.pollster.ingest;

import java.util.List;
import java.util.UUID;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pollster.proto.v1.IngestBatch;
import io.pollster.proto.v1.IngestMessage;
import io.pollster.system.Ids;
import io.pollster.user.Caller;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Pushed messages on their way to a file: queued per request and shard as the protobuf
 * {@code pollster.v1.IngestBatch} (each message as sent, plus who sent it, an id and when it
 * came), written as one JSON line per message.
 */
public final class IngestMessages {

    private IngestMessages() {
    }

    /** One queue entry: the messages of a request that fall on one shard. */
    static byte[] batch(Caller caller, List<MessageParser.Message> messages, String receivedAt) {
        IngestBatch.Builder batch = IngestBatch.newBuilder();
        String userId = caller.userId().toString();
        for (MessageParser.Message message : messages) {
            IngestMessage.Builder queued = batch.addMessagesBuilder()
                    .setId(Ids.next().toString())
                    .setUserId(userId)
                    .setReceivedAt(receivedAt)
                    .setTimestamp(message.timestamp());
            if (message.value() != null) {
                queued.setValue(message.value());
            }
            if (message.key() != null) {
                queued.setKey(message.key());
            }
        }
        return batch.build().toByteArray();
    }

    /** A queue entry of one message, for a message retried on its own. */
    static byte[] single(IngestMessage message) {
        return IngestBatch.newBuilder().addMessages(message).build().toByteArray();
    }

    /** The messages of a queue entry. */
    public static List<IngestMessage> messages(byte[] queued) {
        try {
            return IngestBatch.parseFrom(queued).getMessagesList();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("Not an ingest batch: " + e.getMessage(), e);
        }
    }

    /** Who sent the entry's messages (one request's, so one sender), or null when it cannot be read. */
    static UUID sender(byte[] queued) {
        try {
            List<IngestMessage> messages = messages(queued);
            return messages.isEmpty() ? null : UUID.fromString(messages.getFirst().getUserId());
        } catch (IllegalArgumentException unreadable) {
            return null;
        }
    }

    /** The message as written to its file (and as a dead letter shows it). */
    public static ObjectNode json(JsonMapper json, IngestMessage message) {
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
        return line;
    }
}
