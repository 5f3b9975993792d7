package io.pollster.system;

import java.time.Instant;

/**
 * Instants as microseconds since the epoch: PostgreSQL's precision, and how times travel in
 * arrays (pgjdbc sends a {@code long[]} in binary, a {@code Timestamp[]} as formatted text) and in
 * queue messages.
 */
public final class EpochMicros {

    private EpochMicros() {
    }

    public static long of(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    public static Instant toInstant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
