package io.pollster.job;

import java.util.List;
import java.util.UUID;

/**
 * Where the signing secrets of a job's outputs are kept, sealed, beside its definition (which
 * shows them as {@code "***"}). Implemented by the module that delivers events.
 */
public interface OutputSecretStore {

    /** The job's output secrets by position; null where an output has none. */
    List<String> find(UUID jobId);

    /**
     * Replaces the job's outputs' secrets, in the caller's transaction; an output whose receiver
     * stopped it (410 Gone) starts again, as it was just saved.
     */
    void replace(UUID jobId, List<String> secrets);
}
