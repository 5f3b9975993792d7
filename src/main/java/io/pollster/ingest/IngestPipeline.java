package io.pollster.ingest;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.system.Durations;
import io.pollster.system.PollsterProperties;
import io.pollster.system.Roles;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.QueueConsumer;
import io.pollster.transport.TaskHandler;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ingest role: per shard, a consumer of the shard's queue feeding the shard's
 * {@link ShardPool}. A delivery returns (and is acknowledged) only once its line is in a file.
 * Shutdown: stop claiming, let claimed messages reach their files, write the last batches.
 */
@Component
class IngestPipeline implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(IngestPipeline.class);
    /** How long a claimed message may wait for a worker before its delivery is given up and retried. */
    private static final Duration BACKLOG_WAIT = Duration.ofSeconds(50);

    private final Transport transport;
    private final IngestProperties properties;
    private final MessageProcessor processor;
    private final BatchFiles files;
    private final Clock clock;
    private final MeterRegistry meters;
    private final JsonMapper json;
    private final Roles roles;
    private final List<ShardPool> pools = new ArrayList<>();
    private final List<QueueConsumer> consumers = new ArrayList<>();
    private volatile boolean running;
    private Thread reporter;

    IngestPipeline(Transport transport, IngestProperties properties, MessageProcessor processor,
                   PollsterProperties pollster, Clock clock, MeterRegistry meters, JsonMapper json, Roles roles) {
        this.roles = roles;
        this.transport = transport;
        this.properties = properties;
        this.processor = processor;
        this.files = new BatchFiles(pollster.dataDir().resolve("messages"));
        this.clock = clock;
        this.meters = meters;
        this.json = json;
    }

    @Override
    public synchronized void start() {
        if (!roles.has(Roles.Role.INGEST) || !properties.enabled() || running) {
            return;
        }
        running = true;
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        for (int shard = 0; shard < properties.shards(); shard++) {
            ShardPool pool = new ShardPool(shard, properties, processor, files, clock, suffix, meters);
            pool.start();
            pools.add(pool);
            consumers.add(transport.consume(Shards.queue(shard), new Handler(pool), new ConsumerSettings(
                    properties.inFlight(), properties.maxAttempts(), properties.visibilityTimeout(), Duration.ofMillis(500))));
        }
        reporter = Thread.ofVirtual().name("ingest-report").start(this::reportLoop);
        log.info("Ingest started: {} shards, {}-{} workers each, batches of {} or every {}", properties.shards(),
                properties.minWorkers(), properties.maxWorkers(), properties.batchSize(), Durations.format(properties.linger()));
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        reporter.interrupt();
        consumers.forEach(c -> c.stop(Duration.ofSeconds(20)));
        pools.forEach(ShardPool::stop);
        report();
        log.info("Ingest stopped: every claimed message is in a file");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops with the pollers, before the database goes. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 200;
    }

    List<WorkerView> workers() {
        return pools.stream().flatMap(p -> p.workers().stream())
                .sorted(Comparator.comparing(WorkerView::shard).thenComparing(WorkerView::startedAt))
                .toList();
    }

    List<ShardPool> pools() {
        return List.copyOf(pools);
    }

    private void reportLoop() {
        while (running) {
            try {
                Thread.sleep(properties.reportInterval());
            } catch (InterruptedException e) {
                return;
            }
            report();
        }
    }

    private void report() {
        for (WorkerView w : workers()) {
            log.info("Worker {} (shard {}): {} messages processed, {} batches written{}", w.id(), w.shard(),
                    w.processed(), w.batches(), w.retiredAt() == null ? "" : ", retired " + w.retiredAt());
        }
    }

    private final class Handler implements TaskHandler {
        private final ShardPool pool;

        Handler(ShardPool pool) {
            this.pool = pool;
        }

        @Override
        public void handle(Delivery delivery) throws Exception {
            ShardPool.Pending pending = pool.submit(delivery.payload());
            try {
                // the timeout is for processing, not for waiting in the shard's backlog
                pending.started.get(BACKLOG_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                pending.processed.get(properties.processingTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                pending.abandon();
                throw new TimeoutException("processing took longer than " + Durations.format(properties.processingTimeout()));
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
            try {
                pending.written.get(properties.linger().toMillis() + 60_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }

        @Override
        public DeadLetterInfo describe(byte[] payload) {
            try {
                JsonNode user = json.readTree(payload).get("userId");
                return new DeadLetterInfo("message", null, user == null || user.isNull() ? null : UUID.fromString(user.asString()));
            } catch (RuntimeException unreadable) {
                return new DeadLetterInfo("message", null, null);
            }
        }
    }
}
