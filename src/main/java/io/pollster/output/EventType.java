package io.pollster.output;

import java.util.Locale;

/** What an event reports; its wire name is the event's {@code type}. */
public enum EventType {
    /** A poll stored a new version. */
    VERSION_CREATED,
    /** A paginated run or a poll's items found an item first. */
    ITEM_CREATED,
    /** An item's content changed. */
    ITEM_CHANGED,
    /** A job's polls failed {@code alertAfterFailures} times in a row: once per streak of failures. */
    POLL_FAILED,
    /** A job whose failures were reported by {@link #POLL_FAILED} polled successfully again. */
    POLL_RECOVERED,
    /** A paginated run ended. */
    RUN_FINISHED,
    /** Nothing changed within the job's {@code expectChangeWithin}: once per quiet spell. */
    JOB_STALE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '.');
    }
}
