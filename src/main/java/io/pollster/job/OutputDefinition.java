package io.pollster.job;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import tools.jackson.databind.JsonNode;

/**
 * Where a job's events go: one entry of its {@code outputs}, as stored (validated, secrets masked).
 * An output is known by its position in the list.
 */
public sealed interface OutputDefinition {

    /** Each type's name in the {@code type} field. */
    List<String> TYPES = List.of("webhook", "rabbitmq", "file");

    /**
     * POSTs each event, signed per Standard Webhooks.
     *
     * @param rate  at most {@code limit} sends per {@code per}, across the cluster; null for no limit
     * @param retry how often and how far apart to try; null for the default schedule
     */
    record Webhook(URI url, Rate rate, Retry retry) implements OutputDefinition {
    }

    /**
     * Appends each event as a JSON line to files under the owner's {@code <dataDir>/outputs/<userId>/<dir>/},
     * {@code batchSize} events a file, or fewer once the first has waited {@code linger}.
     *
     * @param dir relative, without {@code ..}: letters, digits, {@code . _ -} and {@code /}
     */
    record File(String dir, int batchSize, Duration linger) implements OutputDefinition {
    }

    /**
     * Publishes each event, persistent and confirmed, to a durable topic exchange (declared if missing)
     * that this Pollster allows ({@link RabbitOutputProperties}), under the owner's routing keys.
     *
     * @param routingKey a template: {@code {jobId}} and {@code {type}} are replaced by the event's;
     *                   the broker's routing key is it under the owner's id ({@link #brokerRoutingKey})
     * @param format     {@code json} or {@code protobuf}
     */
    record RabbitMq(String exchange, String routingKey, String format) implements OutputDefinition {

        /** The longest routing key AMQP carries (a short string), in UTF-8 bytes; ours are ASCII. */
        public static final int MAX_BROKER_ROUTING_KEY = 255;

        /**
         * {@code <ownerId>.<routingKey filled in>} ({@code <ownerId>} alone for an empty one): whatever the
         * job asks for, its messages stay in its owner's part of the exchange, {@code <ownerId>.#}.
         */
        public String brokerRoutingKey(UUID owner, UUID job, String type) {
            String key = routingKey.replace("{jobId}", job.toString()).replace("{type}", type);
            return key.isEmpty() ? owner.toString() : owner + "." + key;
        }
    }

    record Rate(int limit, Duration per) {
    }

    record Retry(int maxAttempts, Duration backoff, Duration maxBackoff) {
    }

    /** A stored definition (validated when it was saved). */
    static OutputDefinition of(JsonNode stored) {
        String type = stored.path("type").asString("");
        if (type.equals("file")) {
            return new File(stored.path("dir").asString(), stored.path("batchSize").asInt(),
                    Duration.parse(stored.path("linger").asString()));
        }
        if (type.equals("rabbitmq")) {
            return new RabbitMq(stored.path("exchange").asString(), stored.path("routingKey").asString(),
                    stored.path("format").asString());
        }
        if (!type.equals("webhook")) {
            throw new IllegalArgumentException("unsupported output type " + type);
        }
        JsonNode rate = stored.path("rate");
        JsonNode retry = stored.path("retry");
        return new Webhook(URI.create(stored.path("url").asString()),
                rate.isObject() ? new Rate(rate.path("limit").asInt(), Duration.parse(rate.path("per").asString())) : null,
                retry.isObject() ? new Retry(retry.path("maxAttempts").asInt(), Duration.parse(retry.path("backoff").asString()),
                        Duration.parse(retry.path("maxBackoff").asString())) : null);
    }
}
