package io.pollster.transport;

import java.time.Duration;

import io.pollster.system.loop.ShutdownPhase;
import org.springframework.context.SmartLifecycle;

/**
 * A queue consumed while the process runs, as a Spring lifecycle bean: it starts consuming with
 * the context when {@link #enabled()} (this process's roles and settings), and stops in the
 * {@link ShutdownPhase#CONSUMING} phase, giving the tasks in hand {@link #STOP_GRACE} to finish.
 */
public abstract class QueueService implements SmartLifecycle {

    static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final Transport transport;
    private final String queue;
    private volatile QueueConsumer consumer;

    protected QueueService(Transport transport, String queue) {
        this.transport = transport;
        this.queue = queue;
    }

    /** Whether this process consumes the queue. */
    protected abstract boolean enabled();

    /** What handles the queue's tasks. */
    protected abstract TaskHandler handler();

    protected abstract ConsumerSettings settings();

    /** Runs once consuming has started (a log line). */
    protected void started(ConsumerSettings settings) {
    }

    @Override
    public final synchronized void start() {
        if (enabled() && consumer == null) {
            ConsumerSettings settings = settings();
            consumer = transport.consume(queue, handler(), settings);
            started(settings);
        }
    }

    @Override
    public final synchronized void stop() {
        if (consumer != null) {
            consumer.stop(STOP_GRACE);
            consumer = null;
        }
    }

    @Override
    public final boolean isRunning() {
        return consumer != null;
    }

    @Override
    public final int getPhase() {
        return ShutdownPhase.CONSUMING;
    }
}
