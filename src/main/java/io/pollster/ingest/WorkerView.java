package io.pollster.ingest;

import java.time.Instant;

/** A shard worker as {@code GET /workers} shows it. */
record WorkerView(String id, int shard, long processed, long batches, Instant startedAt, Instant retiredAt) {
}
