package io.pollster.poll.dedup;

/**
 * A string that lets a regex read at most a set number of characters, so that a user's pattern with
 * catastrophic backtracking cannot hold a poller thread for minutes. {@link java.util.regex.Matcher} reads its
 * input only through {@link #charAt(int)}, which makes the count a faithful measure of the work done.
 */
final class BudgetedText implements CharSequence {

    /** Thrown when the budget is spent; preallocated because it is control flow, not a bug. */
    static final class Exhausted extends RuntimeException {
        static final Exhausted INSTANCE = new Exhausted();

        private Exhausted() {
            super("regex step budget exhausted", null, false, false);
        }
    }

    private final String text;
    private long remaining;

    BudgetedText(String text, long budget) {
        this.text = text;
        this.remaining = budget;
    }

    @Override
    public char charAt(int index) {
        if (--remaining < 0) {
            throw Exhausted.INSTANCE;
        }
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
