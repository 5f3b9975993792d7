package io.pollster.ingest;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.proto.v1.IngestMessage;
import io.pollster.system.Durations;
import io.pollster.system.NodeId;
import io.pollster.system.PollsterProperties;
import io.pollster.system.Roles;
import io.pollster.system.loop.BackgroundLoop;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import io.pollster.system.memory.ByteBudget;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.DeadLetterType;
import io.pollster.transport.QueueConsumer;
import io.pollster.transport.TaskHandler;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ingest role: per shard, a consumer of the shard's queue feeding the shard's
 * {@link ShardPool}. A delivery (one request's messages for the shard) returns, and is
 * acknowledged, only once its lines are in files.
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
    private final WorkerRegistry registry;
    private final NodeId node;
    private final ByteBudget budget;
    private final List<ShardPool> pools = new ArrayList<>();
    private final List<QueueConsumer> consumers = new ArrayList<>();
    private final Loops loops;
    private final BackgroundLoop reporter;
    private volatile boolean running;
    /** When the workers are logged next; the reporter's own. */
    private Instant nextReport;
    /** When the workers were last logged; null before the first report. */
    private volatile Instant lastReport;

    IngestPipeline(Transport transport, IngestProperties properties, MessageProcessor processor,
                   PollsterProperties pollster, Clock clock, MeterRegistry meters, JsonMapper json, Roles roles,
                   WorkerRegistry registry, NodeId node, ByteBudget budget, Loops loops) {
        this.budget = budget;
        this.loops = loops;
        // shares this node's worker counts every stats interval, and logs them every report interval
        this.reporter = loops.create("ingest-report", properties.statsInterval(), () -> {
            shareChanges();
            if (!clock.instant().isBefore(nextReport)) {
                report();
                nextReport = clock.instant().plus(properties.reportInterval());
            }
            return properties.statsInterval();
        });
        this.roles = roles;
        this.registry = registry;
        this.node = node;
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
            ShardPool pool = new ShardPool(shard, properties, processor, files, clock, suffix, meters, loops);
            pool.start();
            pools.add(pool);
            consumers.add(transport.consume(Shards.queue(shard), new Handler(pool, Shards.queue(shard)), new ConsumerSettings(
                    properties.inFlight(), properties.maxAttempts(), properties.visibilityTimeout(), Duration.ofMillis(500))));
        }
        nextReport = clock.instant().plus(properties.reportInterval());
        reporter.start();
        log.info("Ingest started: {} shards, {}-{} workers each, batches of {} or every {}", properties.shards(),
                properties.minWorkers(), properties.maxWorkers(), properties.batchSize(), Durations.format(properties.linger()));
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        reporter.stop(Duration.ofSeconds(5)); // never an interrupt: the reporter may be writing to the database
        consumers.forEach(c -> c.stop(Duration.ofSeconds(20)));
        pools.forEach(ShardPool::stop);
        report();
        Instant stopped = clock.instant();
        // a worker whose thread has not ended yet is as good as retired: it takes nothing more
        share(pools.stream().flatMap(p -> p.unshared().stream())
                .map(w -> w.retiredAt() != null ? w
                        : new WorkerView(w.id(), w.shard(), w.processed(), w.batches(), w.startedAt(), stopped))
                .toList());
        log.info("Ingest stopped: every claimed message is in a file");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops with the pollers, before the database goes. */
    @Override
    public int getPhase() {
        return ShutdownPhase.CONSUMING;
    }

    /** The workers of every ingest node: this node's as they are now, the others' as they last reported. */
    List<WorkerView> workers() {
        Map<String, WorkerView> all = new LinkedHashMap<>();
        try {
            registry.all(clock.instant(), silentAfter()).forEach(w -> all.put(w.id(), w));
        } catch (RuntimeException e) {
            log.warn("Could not read the other nodes' workers; showing this node's: {}", e.toString());
        }
        localWorkers().forEach(w -> all.put(w.id(), w));
        return all.values().stream()
                .sorted(Comparator.comparing(WorkerView::shard).thenComparing(WorkerView::startedAt))
                .toList();
    }

    private List<WorkerView> localWorkers() {
        return pools.stream().flatMap(p -> p.workers().stream()).toList();
    }

    private Duration silentAfter() {
        Duration five = properties.statsInterval().multipliedBy(5);
        return five.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : five;
    }

    List<ShardPool> pools() {
        return List.copyOf(pools);
    }

    /**
     * Sends the running workers and the retirements not recorded yet: a retired worker's row is
     * written once, so what is sent stays the size of the pools however many workers came and went.
     */
    private void shareChanges() {
        List<WorkerView> changed = pools.stream().flatMap(p -> p.unshared().stream()).toList();
        if (share(changed)) {
            pools.forEach(p -> p.shared(changed));
        }
    }

    private boolean share(List<WorkerView> workers) {
        try {
            registry.save(node.value(), workers, clock.instant());
            return true;
        } catch (RuntimeException e) {
            log.warn("Could not share the worker counts; trying again in {}: {}", Durations.format(properties.statsInterval()),
                    e.toString());
            return false;
        }
    }

    /** Logs the running workers, and those retired since the last report (each retirement was logged as it happened). */
    private void report() {
        Instant since = lastReport;
        lastReport = clock.instant();
        for (WorkerView w : localWorkers()) {
            if (w.retiredAt() == null || since == null || !w.retiredAt().isBefore(since)) {
                log.info("Worker {} (shard {}): {} messages processed, {} batches written{}", w.id(), w.shard(),
                        w.processed(), w.batches(), w.retiredAt() == null ? "" : ", retired " + w.retiredAt());
            }
        }
    }

    /**
     * Handles one queue entry: the messages of one request for this shard. Returns (and the entry is
     * acknowledged) once every message is in a file, or once the messages that failed are queued
     * again on their own, each in an entry of one, to be retried and dead-lettered by itself.
     */
    private final class Handler implements TaskHandler {
        private final ShardPool pool;
        private final String queue;

        Handler(ShardPool pool, String queue) {
            this.pool = pool;
            this.queue = queue;
        }

        @Override
        public Result handle(Delivery delivery) throws Exception {
            try (ByteBudget.Reservation ignored = reserve(delivery.payload().length)) {
                handle(IngestMessages.messages(delivery.payload()));
            }
            return DONE;
        }

        /**
         * Waits for the entry's bytes in the in-flight budget: back pressure, so claimed entries are
         * taken apart into lines only as fast as memory allows. An entry larger than the whole
         * budget waits for all of it (it could never get more).
         */
        private ByteBudget.Reservation reserve(long bytes) throws InterruptedException {
            long wanted = Math.min(bytes, budget.capacity());
            while (running) {
                ByteBudget.Reservation reservation = budget.reserve(wanted, Duration.ofSeconds(1));
                if (reservation != null) {
                    return reservation;
                }
            }
            throw new PendingMessage.Stopping(); // handed back to the queue, delivered again later
        }

        private void handle(List<IngestMessage> entry) throws Exception {
            List<PendingMessage> pending = new ArrayList<>(entry.size());
            for (IngestMessage message : entry) {
                pending.add(pool.submit(json.writeValueAsBytes(IngestMessages.json(json, message))));
            }
            List<byte[]> failed = new ArrayList<>();
            Exception failure = null;
            for (int i = 0; i < pending.size(); i++) {
                try {
                    await(pending.get(i));
                } catch (Exception e) {
                    failed.add(IngestMessages.single(entry.get(i)));
                    failure = failure == null ? e : failure;
                }
            }
            if (failure == null) {
                return;
            }
            if (entry.size() == 1 || failure instanceof PendingMessage.Stopping) {
                throw failure; // the transport retries the entry, then dead-letters it
            }
            transport.send(Map.of(queue, failed));
            log.info("{} of {} messages of an entry on {} failed; queued again on their own: {}", failed.size(), entry.size(),
                    queue, failure.toString());
        }

        /** Returns once the message is in a file; throws when it failed, or its processing took too long. */
        private void await(PendingMessage pending) throws Exception {
            try {
                // the timeout is for processing, not for waiting in the shard's backlog
                pending.started.get(BACKLOG_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                long left = pending.startedNanos + properties.processingTimeout().toNanos() - System.nanoTime();
                pending.processed.get(Math.max(0, left), TimeUnit.NANOSECONDS);
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
        public DeadLetterInfo abandon(byte[] payload, String error) {
            return new DeadLetterInfo(DeadLetterType.MESSAGE, null, IngestMessages.sender(payload));
        }
    }
}
