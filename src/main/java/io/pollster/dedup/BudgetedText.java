package io.pollster.dedup;

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

    /** Steps left, and the time by which the work must be done ({@link System#nanoTime()}). */
    static final class Budget {
        private static final int CLOCK_EVERY = 4096;

        private long steps;
        private final long deadlineNanos;
        private int sinceClock;

        Budget(long steps, long deadlineNanos) {
            this.steps = steps;
            this.deadlineNanos = deadlineNanos;
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
            if (System.nanoTime() - deadlineNanos > 0) {
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
