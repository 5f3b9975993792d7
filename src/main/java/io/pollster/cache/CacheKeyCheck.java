package io.pollster.cache;

import java.time.Duration;

import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says when this node names cache entries under another key than the cluster's live nodes: with
 * another {@code POLLSTER_SECRET_KEY}, the same request gets another cache key, so each such node
 * makes its own upstream call per ttl (and cannot read the secret headers the others sealed).
 * Every {@link #EVERY} it claims the backend's key check for {@link #HOLD}; the claim fails while a
 * node with another key holds it. The node keeps polling: the check reports, in the log and in the
 * {@code cache} health details, so that a rolling change of the key is not stopped by it.
 */
final class CacheKeyCheck extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(CacheKeyCheck.class);
    static final Duration EVERY = Duration.ofSeconds(20);
    static final Duration HOLD = Duration.ofMinutes(1);

    private final CacheBackend backend;
    private final byte[] keyId;
    private final Roles roles;
    private volatile Boolean shared;

    CacheKeyCheck(CacheBackend backend, RequestKey keys, Roles roles, Loops loops) {
        super(loops, "cache-key-check", EVERY, ShutdownPhase.UPKEEP, Duration.ofSeconds(3));
        this.backend = backend;
        this.keyId = keys.keyId();
        this.roles = roles;
    }

    @Override
    protected Duration runOnce() {
        boolean now = backend.claimKeyCheck(keyId, HOLD);
        if (!now && !Boolean.FALSE.equals(shared)) {
            log.error("Another live node names shared-cache entries under another key: its POLLSTER_SECRET_KEY differs"
                    + " from this node's. Each such node calls upstream once per ttl on its own, and secret headers"
                    + " sealed on one cannot be read on the other: set the same POLLSTER_SECRET_KEY on every node");
        } else if (now && Boolean.FALSE.equals(shared)) {
            log.info("This node's shared-cache key is the cluster's again");
        }
        shared = now;
        return EVERY;
    }

    /** Whether the live nodes name entries under this node's key; null before the first check. */
    Boolean shared() {
        return shared;
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.POLLER);
    }
}
