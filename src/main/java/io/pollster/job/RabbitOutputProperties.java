package io.pollster.job;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import io.pollster.transport.QueueProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The exchanges RabbitMQ outputs may publish to ({@code pollster.outputs.rabbitmq.*}). Every user
 * shares them, and each user's messages carry routing keys under that user's id (see
 * {@link OutputDefinition.RabbitMq#brokerRoutingKey}), so a consumer bound to {@code <userId>.#}
 * receives exactly one user's events.
 *
 * @param exchanges exchanges an output may name besides {@link #DEFAULT_EXCHANGE} (always allowed),
 *                  comma-separated; none by default. Never {@code amq.*}, Pollster's own
 *                  {@code pollster.*} names, or the transport's dead-letter exchange: such a list
 *                  stops the start, saying which name to remove.
 */
@ConfigurationProperties("pollster.outputs.rabbitmq")
public record RabbitOutputProperties(@DefaultValue List<String> exchanges) {

    /** The exchange of an output that names none; declared (durable, topic) by the first publish. */
    public static final String DEFAULT_EXCHANGE = "pollster.events";
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

    public RabbitOutputProperties {
        List<String> names = new ArrayList<>();
        for (String given : exchanges == null ? List.<String>of() : exchanges) {
            String name = given == null ? "" : given.strip();
            if (name.isEmpty() || name.equals(DEFAULT_EXCHANGE) || names.contains(name)) {
                continue; // the default is implicit
            }
            String problem = problem(name);
            if (problem != null) {
                throw new IllegalArgumentException("pollster.outputs.rabbitmq.exchanges: '" + name + "' " + problem
                        + "; remove it from the list (" + DEFAULT_EXCHANGE + " is always allowed)");
            }
            names.add(name);
        }
        exchanges = List.copyOf(names);
    }

    private static String problem(String name) {
        if (!NAME.matcher(name).matches()) {
            return "is not 1 to 200 letters, digits and . _ - :";
        }
        if (name.startsWith("amq.")) {
            return "is a broker-reserved name (amq.*)";
        }
        if (name.startsWith("pollster.") || name.endsWith(QueueProperties.DEAD_LETTER_EXCHANGE)) {
            return "is one of Pollster's own names (pollster.*, the transport's dead-letter exchange): outputs never "
                    + "publish into them";
        }
        return null;
    }

    /** Whether an output may publish to this exchange: checked when a job is saved and again at every publish. */
    public boolean allows(String exchange) {
        return DEFAULT_EXCHANGE.equals(exchange) || exchanges.contains(exchange);
    }

    /** The allowed exchanges, for messages: "pollster.events, a, b". */
    public String allowed() {
        List<String> all = new ArrayList<>(List.of(DEFAULT_EXCHANGE));
        all.addAll(exchanges);
        return String.join(", ", all);
    }
}
