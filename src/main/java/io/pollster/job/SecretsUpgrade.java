package io.pollster.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.pollster.system.secret.UnreadableSecretException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Once per start, seals the job secrets still in format 1 (a SHA-256-derived key, not bound to
 * their job) again in the current format. In the background and in batches: format 1 stays
 * readable meanwhile, so nothing waits for the upgrade and no transaction holds many rows. Every
 * node does it when it starts; nodes starting together split the rows, and once none is left the
 * check reads an empty index.
 */
@Component
class SecretsUpgrade implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SecretsUpgrade.class);
    /** Rows per transaction: each is an AES open and seal, so a batch holds its row locks for milliseconds. */
    private static final int BATCH = 200;
    private static final Duration STOP_DEADLINE = Duration.ofSeconds(10);

    private final JobRepository jobs;
    private final JobService service;
    private volatile boolean stopping;
    private Thread thread;

    SecretsUpgrade(JobRepository jobs, JobService service) {
        this.jobs = jobs;
        this.service = service;
    }

    /**
     * @param resealed   how many jobs' secrets are now in the current format
     * @param unreadable the jobs whose format 1 secrets do not open with the configured keys: left as they are
     */
    record Result(int resealed, List<JobId> unreadable) {
    }

    /** Re-seals every format 1 value this node can lock, batch by batch, until none is left or the node stops. */
    Result resealAll() {
        int resealed = 0;
        List<JobId> unreadable = new ArrayList<>();
        // ids only grow, so a value that does not open is passed over instead of read again forever;
        // PostgreSQL orders UUIDs as unsigned bytes, so the all-zero one comes first
        JobId after = new JobId(new UUID(0, 0));
        List<JobId> seen;
        do {
            List<JobId> failed = new ArrayList<>();
            seen = jobs.resealLegacySecrets(after, BATCH, (id, sealed) -> {
                try {
                    return service.reseal(id, sealed);
                } catch (UnreadableSecretException e) {
                    failed.add(id);
                    return null;
                }
            });
            resealed += seen.size() - failed.size();
            unreadable.addAll(failed);
            after = seen.isEmpty() ? after : seen.getLast();
        } while (seen.size() == BATCH && !stopping);
        return new Result(resealed, List.copyOf(unreadable));
    }

    private void run() {
        try {
            Result result = resealAll();
            if (result.resealed() > 0) {
                log.info("Sealed the secret headers of {} jobs again in the current format", result.resealed());
            }
            if (!result.unreadable().isEmpty()) {
                log.warn("The format 1 secret headers of {} jobs do not open and were left as they are (first ones: {});"
                                + " set POLLSTER_LEGACY_SECRET_KEY to the key they were sealed under, or send their"
                                + " secretHeaders again", result.unreadable().size(),
                        result.unreadable().subList(0, Math.min(10, result.unreadable().size())));
            }
        } catch (RuntimeException e) {
            // format 1 stays readable, so nothing is lost: the next start tries again
            log.warn("Sealing format 1 secret headers again failed; the next start tries again: {}", e.toString());
        }
    }

    @Override
    public synchronized void start() {
        if (thread == null) {
            stopping = false;
            thread = Thread.ofVirtual().name("secrets-upgrade").start(this::run);
        }
    }

    @Override
    public synchronized void stop() {
        if (thread != null) {
            stopping = true;
            try {
                // a batch in progress commits or rolls back as a whole; either way nothing is half done
                thread.join(STOP_DEADLINE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            thread = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return thread != null;
    }
}
