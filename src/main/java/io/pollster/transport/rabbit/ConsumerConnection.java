package io.pollster.transport.rabbit;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection consumers share. Unlike Spring's publishing connection it uses the client's
 * automatic recovery: after a broker restart or a network cut it reconnects, reopens the channels
 * and re-registers their consumers by itself, so consuming resumes without Pollster's help.
 * Messages unacknowledged when the connection dropped are redelivered by the broker; late
 * acknowledgements of them are dropped by the client instead of closing the new channel.
 */
final class ConsumerConnection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConsumerConnection.class);

    private final ConnectionFactory factory;
    private final List<Address> addresses;
    private Connection connection;

    ConsumerConnection(ConnectionFactory configured, List<Address> addresses, RabbitTransportProperties properties) {
        this.factory = configured.clone();
        this.factory.setAutomaticRecoveryEnabled(true);
        this.factory.setTopologyRecoveryEnabled(true);
        this.factory.setNetworkRecoveryInterval(properties.recoveryInterval().toMillis());
        this.addresses = addresses;
    }

    /** The shared connection, opened on first use; throws while the broker cannot be reached for the first time. */
    synchronized Connection get() throws IOException, TimeoutException {
        // once opened, the client recovers it by itself: never open a second one beside a recovering one
        if (connection == null) {
            connection = factory.newConnection(addresses, "pollster-consumers");
            log.info("Connected to RabbitMQ at {} for consuming", addresses);
        }
        return connection;
    }

    synchronized boolean isOpen() {
        return connection != null && connection.isOpen();
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException | RuntimeException e) {
                log.debug("Closing the consumer connection: {}", e.toString());
            }
            connection = null;
        }
    }
}
