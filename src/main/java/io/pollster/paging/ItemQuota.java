package io.pollster.paging;

import java.util.Map;
import java.util.UUID;

import io.pollster.job.JobRepository;
import io.pollster.user.Quotas;
import org.springframework.stereotype.Component;

/**
 * Items and followed details count toward their owner's storage quota, as bodies do: the bytes a
 * write added (or freed) go to the job's {@code stored_bytes}. Called last in the transaction
 * that wrote them, so the job's row is the last row it locks (after the items' and the run's).
 */
@Component
class ItemQuota {

    static final String FULL = "items not stored: their owner's storage quota is used up; "
            + "delete jobs, or ask the admin to raise the quota";

    private final JobRepository jobs;
    private final Quotas quotas;

    ItemQuota(JobRepository jobs, Quotas quotas) {
        this.jobs = jobs;
        this.quotas = quotas;
    }

    /** Whether the owner has no room left: their pages' items and details are then refused. */
    boolean full(UUID owner) {
        return !quotas.mayStore(owner, 1);
    }

    void stored(UUID jobId, UUID owner, long bytes) {
        if (bytes != 0) {
            jobs.addStored(Map.of(jobId, bytes));
            quotas.stored(owner, bytes);
        }
    }
}
