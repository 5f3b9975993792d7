package io.pollster.user;

import java.util.UUID;

import io.pollster.system.web.ApiException;
import org.springframework.stereotype.Service;

/**
 * Per-user quotas: the defaults ({@code pollster.quota.*}) unless the admin set the user's own.
 * A user at their job quota cannot create another job; a user at their storage quota gets no new
 * versions stored (those polls fail, saying so) until versions are pruned or jobs deleted.
 */
@Service
public class Quotas {

    private final UserRepository users;
    private final QuotaProperties defaults;

    Quotas(UserRepository users, QuotaProperties defaults) {
        this.users = users;
        this.defaults = defaults;
    }

    /** A user's limits. */
    public record Quota(int jobs, long storedBytes) {
    }

    /** What a user holds now. */
    public record Usage(int jobs, long storedBytes) {
    }

    /**
     * Refuses (403) another job for the user once they hold their quota. Locks the user's row for
     * the caller's transaction, so that concurrent creations cannot both pass the check.
     */
    public void requireRoomForJob(UserId user) {
        UserRepository.Limits limits = users.lockLimits(user.value())
                .orElseThrow(() -> ApiException.notFound("User " + user));
        Quota quota = effective(limits);
        int held = users.countJobs(user.value());
        if (held >= quota.jobs()) {
            throw ApiException.forbidden("You have " + held + " jobs, your quota of " + quota.jobs()
                    + "; delete some, or ask the admin to raise it");
        }
    }

    /** Whether the owner may store {@code bytes} more of bodies; false when that would pass their quota. */
    public boolean mayStore(UUID owner, long bytes) {
        return users.findLimits(owner)
                .map(limits -> limits.storedBytes() + bytes <= effective(limits).storedBytes())
                .orElse(false);
    }

    /** The owner's stored bytes grew (a new body) or shrank (bodies pruned). */
    public void stored(UUID owner, long delta) {
        if (delta != 0) {
            users.addStoredBytes(owner, delta);
        }
    }

    Quota quotaOf(UserId user) {
        return users.findLimits(user.value()).map(this::effective).orElseThrow(() -> ApiException.notFound("User " + user));
    }

    Usage usageOf(UserId user) {
        long stored = users.findLimits(user.value()).map(UserRepository.Limits::storedBytes).orElse(0L);
        return new Usage(users.countJobs(user.value()), stored);
    }

    private Quota effective(UserRepository.Limits limits) {
        return new Quota(limits.quotaJobs() != null ? limits.quotaJobs() : defaults.jobs(),
                limits.quotaStoredBytes() != null ? limits.quotaStoredBytes() : defaults.storedBytes().toBytes());
    }
}
