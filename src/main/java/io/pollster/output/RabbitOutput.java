package io.pollster.output;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.rabbitmq.client.AMQP;
import io.pollster.job.OutputDefinition;
import io.pollster.proto.v1.Event;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.stereotype.Component;

/**
 * Publishes events to RabbitMQ outputs: to a durable topic exchange (declared once per process,
 * again after a failure), as persistent messages whose {@code message-id} is the event id, each
 * confirmed by the broker before its delivery counts as done. A broker that is down makes the
 * publish fail, and the delivery waits and is retried like a webhook's: nothing is lost, and a
 * confirm lost on the way may publish an event twice (consumers dedup by {@code message-id}).
 */
@Component
class RabbitOutput {

    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(15);

    private final RabbitTemplate template;
    private final Set<String> declared = ConcurrentHashMap.newKeySet();

    RabbitOutput(RabbitTemplate template) {
        this.template = template;
    }

    /** @throws RuntimeException when the broker refused, did not confirm in time, or could not be reached */
    void publish(OutputDefinition.RabbitMq output, Deliveries.Claimed event, byte[] json) {
        String routingKey = output.routingKey().replace("{jobId}", event.jobId().toString()).replace("{type}", event.type());
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
            throw e;
        }
    }

    static String describe(RuntimeException e) {
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof IOException)) {
            cause = cause.getCause();
        }
        return "RabbitMQ: " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    }
}
