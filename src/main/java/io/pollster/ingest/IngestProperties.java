package io.pollster.ingest;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The push ingest pipeline ({@code pollster.ingest.*}).
 *
 * @param enabled           whether this process runs the shard workers (the {@code ingest} role)
 * @param shards            message shards; a message goes to the shard of its key's hash
 * @param minWorkers        workers per shard at start and after shrinking
 * @param maxWorkers        workers per shard at most
 * @param scaleUpBacklog    a shard adds a worker while more messages than this wait for one
 * @param idleTimeout       a worker above {@code minWorkers} that found nothing for this long retires
 * @param batchSize         lines per written file: a shard's batch is flushed when it holds this many
 * @param linger            ... or when its oldest line has waited this long
 * @param processingTimeout a message whose processing takes longer is retried, then dead-lettered
 * @param maxAttempts       deliveries of a queue entry before it becomes a dead letter; a message
 *                          that failed among others is queued again alone and gets these anew
 * @param maxBatch          messages per {@code POST /messages} (more: 413)
 * @param maxRequestSize    bytes per {@code POST /messages} (more: 413)
 * @param inFlight          queue entries a shard holds in memory at once (claimed, not yet written);
 *                          an entry holds one request's messages for the shard
 * @param visibilityTimeout how long a claimed message stays invisible to other nodes; kept alive
 *                          while it is handled, so it only lapses when its process dies
 * @param reportInterval    how often the log reports every worker's counts
 * @param statsInterval     how often a node shares its workers' counts, so {@code GET /workers} on
 *                          any API node shows every node's
 * @param retiredKept       retired workers a shard keeps in memory (the newest); the registry
 *                          ({@code GET /workers}) has every one of the last day
 * @param memoryWait        how long a {@code POST /messages} waits for its body's bytes in the
 *                          in-flight budget ({@code pollster.memory.in-flight}) before it is
 *                          answered 503 with {@code Retry-After}
 */
@ConfigurationProperties("pollster.ingest")
public record IngestProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("4") int shards,
        @DefaultValue("3") int minWorkers,
        @DefaultValue("4") int maxWorkers,
        @DefaultValue("20") int scaleUpBacklog,
        @DefaultValue("10s") Duration idleTimeout,
        @DefaultValue("5") int batchSize,
        @DefaultValue("1s") Duration linger,
        @DefaultValue("5s") Duration processingTimeout,
        @DefaultValue("3") int maxAttempts,
        @DefaultValue("10000") int maxBatch,
        @DefaultValue("10MB") DataSize maxRequestSize,
        @DefaultValue("32") int inFlight,
        @DefaultValue("30s") Duration visibilityTimeout,
        @DefaultValue("1m") Duration reportInterval,
        @DefaultValue("2s") Duration statsInterval,
        @DefaultValue("1s") Duration memoryWait,
        @DefaultValue("100") int retiredKept) {

    public IngestProperties {
        if (shards < 1 || minWorkers < 1 || maxWorkers < minWorkers || batchSize < 1) {
            throw new IllegalArgumentException(
                    "pollster.ingest needs shards >= 1, 1 <= min-workers <= max-workers and batch-size >= 1");
        }
        if (retiredKept < 0) {
            throw new IllegalArgumentException("pollster.ingest.retired-kept must be 0 or more");
        }
    }
}
