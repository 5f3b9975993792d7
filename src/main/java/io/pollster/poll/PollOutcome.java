package io.pollster.poll;

/**
 * How a poll ended; stored and answered in lower case. {@code SKIPPED} is a due time that made no
 * poll because the job's previous one was still running.
 */
public enum PollOutcome {
    CHANGED, UNCHANGED, NOT_MODIFIED, FAILED, SKIPPED;

    public String label() {
        return name().toLowerCase();
    }
}
