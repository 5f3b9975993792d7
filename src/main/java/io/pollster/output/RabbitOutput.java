package io.pollster.output;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ShutdownSignalException;
import io.pollster.job.OutputDefinition;
import io.pollster.job.RabbitOutputProperties;
import io.pollster.proto.v1.Event;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * Publishes events to RabbitMQ outputs: to a durable topic exchange (declared once per process,
 * again after a failure), as persistent messages whose {@code message-id} is the event id, each
 * confirmed by the broker before its delivery counts as done. A broker that is down makes the
 * publish fail, and the delivery waits and is retried like a webhook's: nothing is lost, and a
 * confirm lost on the way may publish an event twice (consumers dedup by {@code message-id}).
 * <p>
 * Every publish checks again that the exchange is allowed now and that the routing key, under the
 * owner's id, fits AMQP: a job saved before the operator's list changed is refused, never published.
 * A declare or publish the broker refuses closes its own channel only (a channel error); the shared
 * connection, which the transport uses too, stays open.
 */
@Component
class RabbitOutput {

    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(15);

    private final RabbitTemplate template;
    private final RabbitOutputProperties allowed;
    private final Set<String> declared = ConcurrentHashMap.newKeySet();

    RabbitOutput(RabbitTemplate template, RabbitOutputProperties allowed) {
        this.template = template;
        this.allowed = allowed;
    }

    /** What one publish came to. */
    sealed interface Outcome {

        /** The broker confirmed the message. */
        record Confirmed() implements Outcome {
        }

        /** Not published, and never will be as the output stands: a dead letter at once, no retry. */
        record Refused(String reason) implements Outcome {
        }

        /** The broker refused, did not confirm in time, or could not be reached: worth another attempt. */
        record Failed(String error) implements Outcome {
        }
    }

    Outcome publish(OutputDefinition.RabbitMq output, Deliveries.Claimed event, byte[] json) {
        if (!allowed.allows(output.exchange())) {
            return new Outcome.Refused("RabbitMQ: exchange '" + output.exchange() + "' is not one this Pollster publishes "
                    + "to (" + allowed.allowed() + "); save the job's outputs with one of them");
        }
        String routingKey = output.brokerRoutingKey(event.ownerId(), event.jobId(), event.type());
        if (routingKey.getBytes(StandardCharsets.UTF_8).length > OutputDefinition.RabbitMq.MAX_BROKER_ROUTING_KEY) {
            return new Outcome.Refused("RabbitMQ: the routing key is longer than AMQP's "
                    + OutputDefinition.RabbitMq.MAX_BROKER_ROUTING_KEY + " bytes; save the job's outputs with a shorter one");
        }
        boolean protobuf = output.format().equals("protobuf");
        byte[] body = protobuf
                ? Event.newBuilder().setId(event.eventId().toString()).setType(event.type()).setJobId(event.jobId().toString())
                        .setOccurredAtMs(event.occurredAt().toEpochMilli()).setDataJson(event.data()).build().toByteArray()
                : json;
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .deliveryMode(2)
                .contentType(protobuf ? "application/x-protobuf" : "application/json")
                .type(event.type())
                .messageId(event.eventId().toString())
                .timestamp(java.util.Date.from(event.occurredAt()))
                .build();
        try {
            template.invoke(operations -> operations.execute(channel -> {
                if (!declared.contains(output.exchange())) {
                    channel.exchangeDeclare(output.exchange(), "topic", true);
                    declared.add(output.exchange());
                }
                channel.basicPublish(output.exchange(), routingKey, false, properties, body);
                channel.waitForConfirmsOrDie(CONFIRM_TIMEOUT.toMillis());
                return null;
            }));
        } catch (RuntimeException e) {
            declared.remove(output.exchange()); // declared again next time: the broker may have lost it
            return new Outcome.Failed(describe(e));
        }
        return new Outcome.Confirmed();
    }

    private static String describe(RuntimeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            // the broker's own words: "PRECONDITION_FAILED - inequivalent arg 'type' …", "NOT_FOUND - no exchange …"
            if (cause instanceof ShutdownSignalException signal && signal.getReason() instanceof AMQP.Channel.Close close) {
                return "RabbitMQ: " + close.getReplyText();
            }
        }
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof IOException)) {
            cause = cause.getCause();
        }
        return "RabbitMQ: " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    }
}
