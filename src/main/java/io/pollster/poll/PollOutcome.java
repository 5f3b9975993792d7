package io.pollster.poll;

/** How a poll ended; stored and answered in lower case. */
public enum PollOutcome {
    CHANGED, UNCHANGED, NOT_MODIFIED, FAILED;

    public String label() {
        return name().toLowerCase();
    }

    /** Nothing new: no version to store, no dead letter to write, only the job row to update. */
    boolean quiet() {
        return this == UNCHANGED || this == NOT_MODIFIED;
    }
}
