package io.pollster.transport.rabbit;

import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
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
    static final String ATTEMPTS_SPENT = "x-pollster-attempts";
    private static final int PERSISTENT = 2;

    private WireFormat() {
    }

    static AMQP.BasicProperties properties(String messageId, Instant enqueuedAt) {
        return properties(messageId, enqueuedAt, 0);
    }

    /** @param attemptsSpent attempts the task had spent before this message: a task handed back keeps them */
    static AMQP.BasicProperties properties(String messageId, Instant enqueuedAt, int attemptsSpent) {
        Map<String, Object> headers = new HashMap<>(Map.of(SCHEMA, SCHEMA_VERSION, ENQUEUED_AT, enqueuedAt.toEpochMilli()));
        if (attemptsSpent > 0) {
            headers.put(ATTEMPTS_SPENT, attemptsSpent);
        }
        return new AMQP.BasicProperties.Builder()
                .contentType(CONTENT_TYPE)
                .deliveryMode(PERSISTENT)
                .messageId(messageId)
                .timestamp(Date.from(enqueuedAt))
                .headers(headers)
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

    /**
     * 1 on the first delivery of a new task. Quorum queues count every return of this message
     * (nack, crash) in {@code x-delivery-count}; a task handed back at shutdown travels on as a new
     * message, which carries the attempts spent before it in {@code x-pollster-attempts}.
     */
    static int attempt(AMQP.BasicProperties properties) {
        return header(properties, ATTEMPTS_SPENT) + header(properties, "x-delivery-count") + 1;
    }

    private static int header(AMQP.BasicProperties properties, String name) {
        return properties.getHeaders() != null && properties.getHeaders().get(name) instanceof Number n ? n.intValue() : 0;
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
