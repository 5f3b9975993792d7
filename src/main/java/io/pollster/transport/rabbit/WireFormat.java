package io.pollster.transport.rabbit;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.rabbitmq.client.AMQP;

/**
 * How a task travels on RabbitMQ: the body is the task's protobuf message as the producer encoded
 * it; the properties say what it is. {@code x-pollster-schema} is the version of the message
 * schemas in {@code src/main/proto}: a consumer refuses (dead-letters) a version it does not know.
 */
final class WireFormat {

    static final int SCHEMA_VERSION = 1;
    static final String CONTENT_TYPE = "application/x-protobuf";
    static final String SCHEMA = "x-pollster-schema";
    static final String ENQUEUED_AT = "x-pollster-enqueued-at";
    private static final int PERSISTENT = 2;

    private WireFormat() {
    }

    static AMQP.BasicProperties properties(String messageId, Instant enqueuedAt) {
        return new AMQP.BasicProperties.Builder()
                .contentType(CONTENT_TYPE)
                .deliveryMode(PERSISTENT)
                .messageId(messageId)
                .timestamp(Date.from(enqueuedAt))
                .headers(Map.of(SCHEMA, SCHEMA_VERSION, ENQUEUED_AT, enqueuedAt.toEpochMilli()))
                .build();
    }

    /** The schema version the message claims, or -1 when it names none. */
    static int schema(AMQP.BasicProperties properties) {
        return properties.getHeaders() != null && properties.getHeaders().get(SCHEMA) instanceof Number n ? n.intValue() : -1;
    }

    static Instant enqueuedAt(AMQP.BasicProperties properties) {
        if (properties.getHeaders() != null && properties.getHeaders().get(ENQUEUED_AT) instanceof Number n) {
            return Instant.ofEpochMilli(n.longValue());
        }
        return properties.getTimestamp() == null ? null : properties.getTimestamp().toInstant();
    }

    /** 1 on the first delivery; quorum queues count every return (nack, crash) in {@code x-delivery-count}. */
    static int attempt(AMQP.BasicProperties properties) {
        if (properties.getHeaders() != null && properties.getHeaders().get("x-delivery-count") instanceof Number n) {
            return n.intValue() + 1;
        }
        return 1;
    }

    /** Why the broker dead-lettered a message, from the first {@code x-death} entry. */
    static String deathReason(AMQP.BasicProperties properties) {
        if (properties.getHeaders() != null && properties.getHeaders().get("x-death") instanceof List<?> deaths
                && !deaths.isEmpty() && deaths.getFirst() instanceof Map<?, ?> death && death.get("reason") != null) {
            return death.get("reason").toString();
        }
        return "unknown";
    }

    static String newMessageId() {
        return UUID.randomUUID().toString();
    }
}
