package io.pollster.paging;

import java.time.Instant;
import java.util.UUID;

import io.pollster.job.JobSpec;

/**
 * A run as a page's outcome changes it, read under the run's row lock and written back whole
 * ({@link Runs#save}): its status, the settings it walks with (detected ones for {@code auto}),
 * and its counters. One thread at a time holds it.
 */
final class RunState {

    final UUID id;
    final UUID jobId;
    final UUID ownerId;
    final Instant fireAt;
    final Instant startedAt;
    String status;
    String pagination;
    JobSpec.Pagination settings;
    Integer pageSize;
    Integer total;
    int planned;
    int queued;
    int done;
    int failed;
    int changed;
    int follows;
    int itemsCreated;
    int itemsChanged;
    String note;
    String error;
    Instant finishedAt;

    RunState(UUID id, UUID jobId, UUID ownerId, Instant fireAt, Instant startedAt) {
        this.id = id;
        this.jobId = jobId;
        this.ownerId = ownerId;
        this.fireAt = fireAt;
        this.startedAt = startedAt;
    }

    /** A note said once per run (a cap it reached): added only when no note of its kind is there yet. */
    void noteOnce(String kind, String more) {
        if (more != null && (note == null || !note.contains(kind))) {
            note(more);
        }
    }

    boolean running() {
        return "running".equals(status);
    }

    /** Every planned page is over and no more will be planned. */
    boolean complete() {
        return total != null && done + failed >= planned && queued == 0;
    }

    /** Longest note kept: a run of many pages says each kind of thing once, and never grows its row without bound. */
    static final int MAX_NOTE = 2_000;

    void note(String more) {
        if (more != null && (note == null || note.length() + more.length() < MAX_NOTE)) {
            note = note == null ? more : note + "; " + more;
        }
    }
}
