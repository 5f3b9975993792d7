package io.pollster.output;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a dead letter of type {@code delivery} holds: which delivery, of which event, to which
 * output; or, for deliveries dropped from a crowded lane ({@link DeliveryBacklog}), the output, how
 * many and the events of the oldest and newest, which no replay sends.
 */
final class DeliveryLetters {

    private DeliveryLetters() {
    }

    static byte[] payload(JsonMapper json, long deliveryId, UUID eventId, int output) {
        ObjectNode payload = json.createObjectNode();
        payload.put("deliveryId", deliveryId);
        payload.put("eventId", eventId.toString());
        payload.put("output", output);
        return json.writeValueAsString(payload).getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException when it is not such a payload */
    static long deliveryId(JsonMapper json, byte[] payload) {
        JsonNode node = json.readTree(new String(payload, StandardCharsets.UTF_8));
        if (node.has("dropped")) {
            throw new IllegalArgumentException("records deliveries dropped unsent beyond pollster.outputs.max-pending, "
                    + "which are not replayed (the job's events list the ones that waited after them)");
        }
        if (!node.path("deliveryId").isIntegralNumber()) {
            throw new IllegalArgumentException("does not name a delivery to replay");
        }
        return node.path("deliveryId").asLong();
    }
}
