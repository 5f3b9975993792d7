package io.pollster.system;

import java.util.function.BiPredicate;

/**
 * Line equality for a line diff that gives up after a set number of comparisons. Myers' work
 * grows with the size of two texts times the number of their differences: two large, wholly
 * different texts take minutes. Counting the comparisons bounds one diff by its work, whatever
 * the texts, and the caller shows "too different" instead. Not thread-safe: one per diff.
 */
public final class CountingEquals implements BiPredicate<String, String> {

    /** The comparisons one diff may make: about a second of one core. */
    public static final long DIFF_BUDGET = 20_000_000;

    /** The budget ran out. */
    public static final class Exhausted extends RuntimeException {
        Exhausted() {
            super("line comparison budget exhausted", null, false, false);
        }
    }

    private long remaining;

    public CountingEquals(long budget) {
        this.remaining = budget;
    }

    /** @throws Exhausted once the budget is spent */
    @Override
    public boolean test(String a, String b) {
        if (--remaining < 0) {
            throw new Exhausted();
        }
        return a.equals(b);
    }
}
