package io.pollster.output;

import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Puts a dead delivery back in its lane, ahead of the events that came after it. */
@Component
public class DeliveryReplays {

    private final Deliveries deliveries;
    private final JsonMapper json;

    DeliveryReplays(Deliveries deliveries, JsonMapper json) {
        this.deliveries = deliveries;
        this.json = json;
    }

    /**
     * Joins the caller's transaction.
     *
     * @param payload a {@code delivery} dead letter's payload
     * @return false when there is nothing to replay (the delivery is gone with its job, or pending already)
     * @throws IllegalArgumentException when the payload names no delivery
     */
    public boolean replay(byte[] payload) {
        return deliveries.replay(DeliveryLetters.deliveryId(json, payload));
    }
}
