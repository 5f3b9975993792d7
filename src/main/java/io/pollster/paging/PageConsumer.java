package io.pollster.paging;

import java.time.Duration;

import io.pollster.system.Roles;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.QueueService;
import io.pollster.transport.TaskHandler;
import io.pollster.transport.Transport;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Consumes the page queue on every poller ({@code poller} role): the pages of every run, from
 * whichever node planned them. A page task of a poller that dies is delivered again once its
 * claim lapses, so a run resumes from its unfinished pages after any crash.
 */
@Component
class PageConsumer extends QueueService {

    private final PageWorker worker;
    private final PagingProperties properties;
    private final Roles roles;
    private final boolean pollerEnabled;

    PageConsumer(Transport transport, PageWorker worker, PagingProperties properties, Roles roles,
                 @Value("${pollster.poller.enabled:true}") boolean pollerEnabled) {
        super(transport, PageTask.QUEUE);
        this.worker = worker;
        this.properties = properties;
        this.roles = roles;
        this.pollerEnabled = pollerEnabled;
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.POLLER) && pollerEnabled;
    }

    @Override
    protected TaskHandler handler() {
        return worker;
    }

    @Override
    protected ConsumerSettings settings() {
        return new ConsumerSettings(properties.concurrency(), properties.maxDeliveries(), properties.visibilityTimeout(),
                Duration.ofSeconds(1));
    }
}
