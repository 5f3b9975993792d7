package io.pollster.system;

import java.util.List;

/**
 * Work of one kind that a process claims under its {@link NodeId} — queue tasks, deliveries —
 * given back at once when the cluster finds the process dead, instead of when each claim's own
 * timeout runs out. Implemented by the capability that owns the claims; the cluster calls every
 * implementation in one transaction with the nodes it removes.
 */
public interface NodeClaims {

    /** Frees every claim these nodes hold, in the caller's transaction; returns how many it freed. */
    int releaseAll(List<String> nodeIds);
}
