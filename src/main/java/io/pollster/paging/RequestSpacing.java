package io.pollster.paging;

import java.time.Duration;

/**
 * Spaces requests under one key cluster-wide: at most one per {@code interval}, so a job's
 * {@code rateLimit} of N per period holds across every node (any period holds at most N + 1).
 * The seam for a Redis backend beside PostgreSQL's.
 */
interface RequestSpacing {

    /**
     * Takes the next request slot under {@code key} if it is free now.
     *
     * @return zero when the caller may send now; else how long until the slot frees (nothing taken)
     */
    Duration take(String key, Duration interval);

    /** The keys under {@code prefix} (without it) whose next request must wait, and until when. */
    java.util.Map<String, java.time.Instant> pausedUnder(String prefix);

    /** Forgets keys whose next request could have gone long ago (a job deleted, a pause over). */
    void forgetPast();

    /** No request under {@code key} before {@code pause} from now (a 429's Retry-After); never shortens a pause. */
    void pause(String key, Duration pause);
}
