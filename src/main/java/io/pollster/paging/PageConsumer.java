package io.pollster.paging;

import java.time.Duration;

import io.pollster.system.Roles;
import io.pollster.system.loop.ShutdownPhase;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.QueueConsumer;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Consumes the page queue on every poller ({@code poller} role): the pages of every run, from
 * whichever node planned them. A page task of a poller that dies is delivered again once its
 * claim lapses, so a run resumes from its unfinished pages after any crash.
 */
@Component
class PageConsumer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(PageConsumer.class);

    private final Transport transport;
    private final PageWorker worker;
    private final PagingProperties properties;
    private final Roles roles;
    private final boolean enabled;
    private volatile QueueConsumer consumer;

    PageConsumer(Transport transport, PageWorker worker, PagingProperties properties, Roles roles,
                 @Value("${pollster.poller.enabled:true}") boolean enabled) {
        this.transport = transport;
        this.worker = worker;
        this.properties = properties;
        this.roles = roles;
        this.enabled = enabled;
    }

    @Override
    public synchronized void start() {
        if (roles.has(Roles.Role.POLLER) && enabled && consumer == null) {
            consumer = transport.consume(PageTask.QUEUE, worker, new ConsumerSettings(properties.concurrency(),
                    properties.maxDeliveries(), properties.visibilityTimeout(), Duration.ofSeconds(1)));
            log.debug("Page consumer started ({} pages at once)", properties.concurrency());
        }
    }

    @Override
    public synchronized void stop() {
        if (consumer != null) {
            consumer.stop(Duration.ofSeconds(20));
            consumer = null;
        }
    }

    @Override
    public boolean isRunning() {
        return consumer != null;
    }

    @Override
    public int getPhase() {
        return ShutdownPhase.CONSUMING;
    }
}
