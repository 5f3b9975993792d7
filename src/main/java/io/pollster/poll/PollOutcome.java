package io.pollster.poll;

/** How a poll ended; stored and answered in lower case. */
public enum PollOutcome {
    CHANGED, UNCHANGED, NOT_MODIFIED, FAILED;

    public String label() {
        return name().toLowerCase();
    }
}
