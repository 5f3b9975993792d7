package io.pollster.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/** Spreads fires of a job over [due, due + jitter) so jobs on the same grid do not fire as one. */
public final class Jitter {

    private Jitter() {
    }

    public static Instant apply(Instant due, Duration jitter) {
        long max = jitter.toMillis();
        return max <= 0 ? due : due.plusMillis(ThreadLocalRandom.current().nextLong(max));
    }
}
