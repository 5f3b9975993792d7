package io.pollster.dedup;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A string that lets regexes read at most a set number of characters and only until a deadline,
 * so that a user's pattern with catastrophic backtracking cannot hold a thread for minutes.
 * {@link java.util.regex.Matcher} reads its input only through {@link #charAt(int)}, which makes
 * the count a faithful measure of the work done. One {@link Budget} is shared by all of a body's
 * patterns: fifty patterns get the budget of one, not fifty times it.
 */
final class BudgetedText implements CharSequence {

    /** Thrown when the budget is spent; preallocated because it is control flow, not a bug. */
    static final class Exhausted extends RuntimeException {
        static final Exhausted INSTANCE = new Exhausted();

        private Exhausted() {
            super("normalisation budget exhausted", null, false, false);
        }
    }

    /**
     * When a body's normalisation must be done: its thread's CPU time where the JVM measures it
     * (the platform threads that normalise large bodies), else the wall clock. CPU time does not
     * run while the thread waits for a core, so a busy machine does not flip a body between
     * normalised and compared as it came.
     */
    record Deadline(LongSupplier clock, long at) {

        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

        static Deadline after(Duration time) {
            LongSupplier clock = cpuTimeMeasured() ? THREADS::getCurrentThreadCpuTime : System::nanoTime;
            return new Deadline(clock, clock.getAsLong() + time.toNanos());
        }

        private static boolean cpuTimeMeasured() {
            return !Thread.currentThread().isVirtual() && THREADS.isCurrentThreadCpuTimeSupported()
                    && THREADS.isThreadCpuTimeEnabled();
        }

        boolean passed() {
            return clock.getAsLong() - at > 0;
        }
    }

    /** Steps left, and the time by which the work must be done. */
    static final class Budget {
        private static final int CLOCK_EVERY = 4096;

        private long steps;
        private final Deadline deadline;
        private int sinceClock;

        Budget(long steps, Deadline deadline) {
            this.steps = steps;
            this.deadline = deadline;
        }

        void spend() {
            if (--steps < 0) {
                throw Exhausted.INSTANCE;
            }
            if (++sinceClock >= CLOCK_EVERY) {
                sinceClock = 0;
                checkTime();
            }
        }

        void checkTime() {
            if (deadline.passed()) {
                throw Exhausted.INSTANCE;
            }
        }
    }

    private final String text;
    private final Budget budget;

    BudgetedText(String text, Budget budget) {
        this.text = text;
        this.budget = budget;
    }

    @Override
    public char charAt(int index) {
        budget.spend();
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return text.subSequence(start, end);
    }

    @Override
    public String toString() {
        return text;
    }
}
