package io.pollster.output;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pollster.fetch.FetchRequest;
import io.pollster.fetch.FetchResult;
import io.pollster.fetch.Fetcher;
import io.pollster.job.OutputDefinition;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import io.pollster.system.memory.ByteBudget;
import io.pollster.system.secret.UnreadableSecretException;
import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.DeadLetterType;
import org.springframework.dao.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends due deliveries to their webhooks, on the nodes that poll. Each round claims as many due
 * deliveries as it has free sending slots ({@code pollster.outputs.concurrency}), under a lease
 * longer than one attempt, and sends each on a virtual thread; a slot coming free, or an event
 * committed on this node, starts the next round at once (under load, once an eighth of the slots
 * are free, so that one query claims several); otherwise it looks every
 * {@code pollster.outputs.poll-interval} (events committed on other nodes). One user holds at most
 * a quarter of the slots: deliveries beyond that wait a moment without spending an attempt.
 */
@Component
class DeliverySender extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(DeliverySender.class);
    static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final Duration BUSY_PAUSE = Duration.ofSeconds(1);
    private static final long RESPONSE_BYTES = 64 * 1024;
    private static final Duration STALL_CHECK = Duration.ofSeconds(15);
    /** A file batch holds at most this many bytes of events (and at least its first): memory per batch is bounded. */
    private static final long FILE_BATCH_BYTES = 8L * 1024 * 1024;

    private final Deliveries deliveries;
    private final OutputFiles files;
    private final RabbitOutput rabbit;
    private final JobOutputs outputs;
    private final DeadLetterSink deadLetters;
    private final TransactionTemplate tx;
    private final Fetcher fetcher;
    private final ByteBudget budget;
    private final JsonMapper json;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Timer latency;
    private final Roles roles;
    private final Duration pollInterval;
    private final Duration lease;
    private final int perOwner;
    private final Semaphore slots;
    private final Map<UUID, AtomicInteger> inFlightByOwner = new ConcurrentHashMap<>();
    private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
    /** When this loop last looked for stalled lanes, and last claimed ({@link System#nanoTime()}); the loop's own. */
    private long lastStallCheck = System.nanoTime();
    private long lastClaim;
    /** Free slots worth a claim before the poll interval is up: under load, one query claims several deliveries. */
    private final int claimBatch;

    DeliverySender(Deliveries deliveries, OutputFiles files, RabbitOutput rabbit, JobOutputs outputs, DeadLetterSink deadLetters, TransactionTemplate tx,
                   @Qualifier("webhookFetcher") Fetcher fetcher, ByteBudget budget, JsonMapper json, Clock clock, MeterRegistry meters,
                   Roles roles, Loops loops, DeliveryWakeup wakeup,
                   @Value("${pollster.outputs.concurrency:64}") int concurrency,
                   @Value("${pollster.outputs.poll-interval:100ms}") Duration pollInterval,
                   @Value("${pollster.outputs.lease:45s}") Duration lease) {
        super(loops, "deliveries", Duration.ofSeconds(1), ShutdownPhase.CONSUMING, TIMEOUT.plusSeconds(5));
        this.deliveries = deliveries;
        this.files = files;
        this.rabbit = rabbit;
        this.outputs = outputs;
        this.deadLetters = deadLetters;
        this.tx = tx;
        this.fetcher = fetcher;
        this.budget = budget;
        this.json = json;
        this.clock = clock;
        this.meters = meters;
        this.roles = roles;
        this.pollInterval = pollInterval;
        if (lease.compareTo(TIMEOUT.plusSeconds(1)) < 0) {
            throw new IllegalArgumentException("pollster.outputs.lease must be longer than a webhook's 15 s timeout, is " + lease);
        }
        this.lease = lease;
        this.perOwner = Math.max(1, concurrency / 4);
        this.slots = new Semaphore(concurrency);
        this.claimBatch = Math.max(1, concurrency / 8);
        this.latency = Timer.builder("pollster.delivery.latency")
                .description("From an event's commit to its receiver's 2xx")
                .publishPercentileHistogram()
                .register(meters);
        wakeup.listen(this::wake);
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.POLLER);
    }

    @Override
    protected Duration runOnce() {
        if (System.nanoTime() - lastStallCheck > STALL_CHECK.toNanos()) {
            lastStallCheck = System.nanoTime();
            int stalled = deliveries.armStalled();
            if (stalled > 0) {
                log.debug("Armed {} delivery lanes left waiting by a race with their head", stalled);
            }
        }
        int free = slots.availablePermits();
        long sinceClaim = System.nanoTime() - lastClaim;
        if (free == 0 || free < claimBatch && sinceClaim < pollInterval.toNanos()) {
            // a send that ends wakes this loop: claim when enough slots are free to be worth a query
            return Duration.ofNanos(Math.max(1_000_000, pollInterval.toNanos() - sinceClaim));
        }
        lastClaim = System.nanoTime();
        List<Batch> claimed = tx.execute(status -> claim(free));
        for (Batch batch : claimed) {
            Deliveries.Claimed delivery = batch.head();
            inFlightByOwner.compute(delivery.ownerId(), (k, n) -> {
                AtomicInteger held = n == null ? new AtomicInteger() : n;
                held.incrementAndGet();
                return held;
            });
            slots.acquireUninterruptibly();
            senders.execute(() -> {
                try {
                    send(batch);
                } catch (RuntimeException e) {
                    // retried on the default schedule, then a dead letter: a delivery that always fails here
                    // must not come back every lease forever
                    log.warn("Delivery {} of job {} failed unexpectedly: {}", delivery.id(), delivery.jobId(), e.toString(), e);
                    unexpected(batch, e);
                } finally {
                    release(delivery.ownerId());
                    slots.release();
                    wake();
                }
            });
        }
        return claimed.size() == free ? Duration.ZERO : pollInterval;
    }

    /**
     * The head of a lane and, for a file output, the deliveries after it that go in the same file.
     *
     * @param definition the output as the job defines it now, or null when the job no longer has it
     */
    private record Batch(Deliveries.Claimed head, OutputDefinition definition, List<Deliveries.Claimed> rest) {

        List<Deliveries.Claimed> all() {
            List<Deliveries.Claimed> all = new ArrayList<>(rest.size() + 1);
            all.add(head);
            all.addAll(rest);
            return all;
        }
    }

    /**
     * Due deliveries, less those over their output's rate or their owner's share, and file outputs'
     * batches not yet full whose first event has not lingered long enough (back in the lane, no
     * attempt spent).
     */
    private List<Batch> claim(int limit) {
        List<Batch> sendable = new ArrayList<>();
        Map<UUID, Integer> taken = new HashMap<>(); // this round's, counted in once the claim commits
        for (Deliveries.Claimed d : deliveries.claim(limit, lease)) {
            try {
                Batch batch = prepare(d, taken);
                if (batch != null) {
                    taken.merge(d.ownerId(), 1, Integer::sum);
                    sendable.add(batch);
                }
            } catch (DataAccessException e) {
                throw e; // the transaction is lost: the whole round goes back, and is claimed again
            } catch (RuntimeException | OutOfMemoryError e) {
                // one delivery that cannot be prepared must not hold up the others claimed with it
                log.warn("Delivery {} of job {} could not be prepared; it waits a minute: {}", d.id(), d.jobId(), e.toString());
                deliveries.postpone(d, clock.instant().plus(Duration.ofMinutes(1)));
            }
        }
        return sendable;
    }

    /** The head as a batch to send now; null when it waits (its owner's share, a file's linger, the output's rate). */
    private Batch prepare(Deliveries.Claimed d, Map<UUID, Integer> taken) {
        AtomicInteger held = inFlightByOwner.get(d.ownerId());
        if ((held == null ? 0 : held.get()) + taken.getOrDefault(d.ownerId(), 0) >= perOwner) {
            deliveries.postpone(d, clock.instant().plus(BUSY_PAUSE));
            return null;
        }
        OutputDefinition definition = d.definition() == null ? null : OutputDefinition.of(json.readTree(d.definition()));
        List<Deliveries.Claimed> rest = List.of();
        if (definition instanceof OutputDefinition.File file) {
            Instant lingered = d.occurredAt().plus(file.linger());
            if (lingered.isAfter(clock.instant()) && deliveries.laneSize(d, file.batchSize()) < file.batchSize()) {
                deliveries.postpone(d, lingered);
                return null;
            }
            rest = deliveries.claimLane(d, file.batchSize() - 1, FILE_BATCH_BYTES, lease);
        }
        if (definition instanceof OutputDefinition.Webhook webhook && webhook.rate() != null) {
            Optional<Instant> opens = outputs.takeSend(d.jobId(), d.output(), webhook.rate().limit(), webhook.rate().per());
            if (opens.isPresent()) {
                deliveries.postpone(d, opens.get());
                return null;
            }
        }
        return new Batch(d, definition, rest);
    }

    private void release(UUID owner) {
        inFlightByOwner.computeIfPresent(owner, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    private void send(Batch batch) {
        Deliveries.Claimed d = batch.head();
        switch (batch.definition()) {
            case null -> finish(d, () -> deliveries.failed(d, null, "the job no longer has output " + d.output()), "failed");
            case OutputDefinition.Webhook webhook -> post(d, webhook);
            case OutputDefinition.File file -> write(batch, file);
            case OutputDefinition.RabbitMq rabbit -> publish(d, rabbit);
        }
    }

    private void unexpected(Batch batch, RuntimeException e) {
        try {
            tx.executeWithoutResult(status -> deliveries.release(batch.rest()));
            failed(batch.head(), DeliveryRetry.of(null), new FetchResult.Failed(null, "internal error: " + e.getClass().getSimpleName(),
                    true, null, Duration.ZERO), switch (batch.definition()) {
                        case OutputDefinition.Webhook w -> "webhook";
                        case OutputDefinition.File f -> "file";
                        case OutputDefinition.RabbitMq r -> "rabbitmq";
                        case null -> "unknown";
                    });
        } catch (RuntimeException again) {
            log.warn("Could not record the failure of delivery {}; its lease lapses and it is sent again: {}", batch.head().id(),
                    again.toString());
        }
    }

    private void publish(Deliveries.Claimed d, OutputDefinition.RabbitMq output) {
        switch (rabbit.publish(output, d, body(d))) {
            case RabbitOutput.Outcome.Confirmed confirmed -> {
                finish(d, () -> deliveries.delivered(d, null), "delivered", "rabbitmq", 1);
                latency.record(Duration.between(d.occurredAt(), clock.instant()));
            }
            case RabbitOutput.Outcome.Refused refused -> giveUp(d, null, refused.reason(), "failed", "rabbitmq");
            case RabbitOutput.Outcome.Failed failed -> failed(d, DeliveryRetry.of(null),
                    new FetchResult.Failed(null, failed.error(), true, null, Duration.ZERO), "rabbitmq");
        }
    }

    /** A file output's batch as one file of JSON lines; a failure to write is retried like a webhook's. */
    private void write(Batch batch, OutputDefinition.File file) {
        Deliveries.Claimed head = batch.head();
        List<Deliveries.Claimed> all = batch.all();
        try {
            files.write(head.ownerId(), file.dir(), head.jobId(), head.eventId(), all.stream().map(this::body).toList());
        } catch (IOException e) {
            tx.executeWithoutResult(status -> deliveries.release(batch.rest()));
            failed(head, DeliveryRetry.of(null), new FetchResult.Failed(null, "could not write the file: " + e, true, null,
                    Duration.ZERO), "file");
            return;
        }
        finish(head, () -> deliveries.deliveredAll(all), "delivered", "file", all.size());
    }

    private void post(Deliveries.Claimed d, OutputDefinition.Webhook webhook) {
        DeliveryRetry retry = DeliveryRetry.of(webhook.retry());
        byte[] body = body(d);
        long timestamp = clock.instant().getEpochSecond();
        String secret;
        try {
            secret = d.secret() == null ? null : outputs.open(d.jobId(), d.output(), d.secret());
        } catch (UnreadableSecretException e) {
            secret = null;
        }
        if (secret == null) {
            // perhaps only this node's key differs: retried (by any node), then a dead letter to replay once fixed
            failed(d, retry, new FetchResult.Failed(null, "output " + d.output() + "'s signing secret cannot be read here (does "
                    + "this node have the same POLLSTER_SECRET_KEY?); if the key changed, save the job's outputs with a new secret",
                    true, null, Duration.ZERO), "webhook");
            return;
        }
        String signature = WebhookSignature.sign(secret, d.eventId().toString(), timestamp, body);
        FetchRequest request = new FetchRequest("POST", webhook.url(), Map.of("Content-Type", "application/json",
                "webhook-id", d.eventId().toString(), "webhook-timestamp", Long.toString(timestamp)),
                Map.of("webhook-signature", signature), body, TIMEOUT, null, null);
        FetchResult result;
        try (ByteBudget.Reservation memory = budget.reserve(d.ownerId(), RESPONSE_BYTES, BUSY_PAUSE)) {
            if (memory == null) {
                deliveries.postpone(d, clock.instant().plus(BUSY_PAUSE));
                return;
            }
            result = fetcher.fetch(request, BUSY_PAUSE, memory);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // its lease lapses and it is sent again
        }
        switch (result) {
            case FetchResult.Fetched fetched -> {
                finish(d, () -> deliveries.delivered(d, fetched.status()), "delivered");
                latency.record(Duration.between(d.occurredAt(), clock.instant()));
            }
            // only a 2xx is success: Pollster sends no validators, so a 304 is the receiver's mistake
            case FetchResult.NotModified notModified -> failed(d, retry, new FetchResult.Failed(304,
                    "the receiver answered 304, which is not a 2xx", true, null, notModified.duration()), "webhook");
            case FetchResult.HostBusy busy -> tx.executeWithoutResult(s -> deliveries.postpone(d, clock.instant().plus(BUSY_PAUSE)));
            case FetchResult.OutOfBudget out -> tx.executeWithoutResult(s -> deliveries.postpone(d, clock.instant().plus(BUSY_PAUSE)));
            case FetchResult.Failed failed when failed.status() != null && failed.status() == 410 -> gone(d);
            case FetchResult.Failed failed -> failed(d, retry, failed, "webhook");
        }
    }

    /** The event as its receiver gets it (a webhook's body, a file's line): {@code {"id","type","jobId","occurredAt","data"}}. */
    private byte[] body(Deliveries.Claimed d) {
        ObjectNode event = json.createObjectNode();
        event.put("id", d.eventId().toString());
        event.put("type", d.type());
        event.put("jobId", d.jobId().toString());
        event.put("occurredAt", d.occurredAt().toString());
        event.set("data", json.readTree(d.data()));
        return json.writeValueAsString(event).getBytes(StandardCharsets.UTF_8);
    }

    private void failed(Deliveries.Claimed d, DeliveryRetry retry, FetchResult.Failed failed, String type) {
        String error = failed.status() != null && failed.status() >= 300 && failed.status() < 400
                ? "the receiver answered " + failed.status() + "; redirects are not followed"
                : failed.error();
        if (!retry.exhausted(d.attempt())) {
            Instant next = clock.instant().plus(retry.after(d.attempt(), failed.retryAfter()));
            finish(d, () -> deliveries.retry(d, next, failed.status(), error), "retried", type, 1);
            return;
        }
        giveUp(d, failed.status(), error + "; gave up after " + d.attempt() + " attempts", "failed", type);
    }

    /** Fails the delivery for good and records it as a dead letter (to replay once the cause is fixed). */
    private void giveUp(Deliveries.Claimed d, Integer status, String last, String label, String type) {
        finish(d, () -> {
            if (!deliveries.failed(d, status, last)) {
                return false;
            }
            deadLetters.record(new DeadLetterSink.DeadLetter(null, DeadLetterType.DELIVERY, d.jobId(), d.ownerId(), null,
                    DeliveryLetters.payload(json, d.id(), d.eventId(), d.output()), last, d.attempt(), clock.instant()));
            return true;
        }, label, type, 1);
        log.info("Delivery of event {} of job {} to output {} failed for good: {}", d.eventId(), d.jobId(), d.output(), last);
    }

    private void gone(Deliveries.Claimed d) {
        String reason = "the receiver answered 410 Gone at " + clock.instant() + ": output " + d.output()
                + " is stopped; save the job's outputs again to start it";
        finish(d, () -> {
            if (!deliveries.failed(d, 410, reason)) {
                return false;
            }
            outputs.stop(d.jobId(), d.output(), reason);
            deliveries.failLane(d.jobId(), d.output(), reason);
            return true;
        }, "stopped");
        log.info("Output {} of job {} stopped: its receiver answered 410 Gone", d.output(), d.jobId());
    }

    private interface Outcome {
        boolean record();
    }

    private void finish(Deliveries.Claimed d, Outcome outcome, String label) {
        finish(d, outcome, label, "webhook", 1);
    }

    /** Records an outcome fenced by the lease: when the lease lapsed meanwhile, nothing of it stays. */
    private void finish(Deliveries.Claimed d, Outcome outcome, String label, String type, int count) {
        Boolean recorded = tx.execute(status -> {
            boolean done = outcome.record();
            if (!done) {
                status.setRollbackOnly();
            }
            return done;
        });
        if (Boolean.TRUE.equals(recorded)) {
            meters.counter("pollster.deliveries", "type", type, "outcome", label).increment(count);
        } else {
            log.debug("Delivery {} was taken over by another sender (its lease lapsed); its outcome here is dropped", d.id());
        }
    }

    @Override
    protected void afterStop(boolean finished) {
        senders.shutdown();
        try {
            // a send cut short leaves its lease to lapse: the delivery is sent again, with the same webhook-id
            senders.awaitTermination(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
