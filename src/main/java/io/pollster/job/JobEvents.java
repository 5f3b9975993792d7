package io.pollster.job;

/**
 * What the job API tells the capabilities that keep state beside a job, published in the
 * transaction that changes the job: whoever listens writes its own tables in that transaction.
 */
public final class JobEvents {

    private JobEvents() {
    }

    /** A new job. */
    public record Created(JobId jobId) {
    }

    /** The job's request (URL, method, headers, body) changed: what its upstream said about the old one is stale. */
    public record RequestChanged(JobId jobId) {
    }
}
