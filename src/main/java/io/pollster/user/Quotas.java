package io.pollster.user;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.pollster.system.web.ApiException;
import org.springframework.stereotype.Service;

/**
 * Per-user quotas: the defaults ({@code pollster.quota.*}) unless the admin set the user's own.
 * A user at their job quota cannot create another job; a user at their storage quota gets no new
 * versions stored (those polls fail, saying so) and no items or followed details (those runs fail,
 * saying so) until versions are pruned or jobs deleted.
 */
@Service
public class Quotas {

    /** How old a user's stored bytes may be when a poll checks them against the quota. */
    static final Duration USAGE_FRESHNESS = Duration.ofSeconds(5);

    private final UserRepository users;
    private final QuotaProperties defaults;
    private final Cache<UUID, UserRepository.Limits> recent = Caffeine.newBuilder()
            .expireAfterWrite(USAGE_FRESHNESS)
            .maximumSize(100_000)
            .build();

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

    /**
     * Whether the owner may store {@code bytes} more of bodies or items; false when that would pass their
     * quota. What they store is summed over their jobs at most every {@link #USAGE_FRESHNESS} per
     * owner on this node, plus what this node stored since: a quota, not a lock, so changes stored
     * meanwhile by other nodes may pass it by a few bodies.
     */
    public boolean mayStore(UUID owner, long bytes) {
        return limitsNow(owner)
                .map(limits -> limits.storedBytes() + bytes <= effective(limits).storedBytes())
                .orElse(false);
    }

    /**
     * This node stored {@code bytes} more for the owner: counted at once in what the next
     * {@link #mayStore} sees, until the sum over their jobs is read again.
     */
    public void stored(UUID owner, long bytes) {
        recent.asMap().computeIfPresent(owner, (id, limits) ->
                new UserRepository.Limits(limits.quotaJobs(), limits.quotaStoredBytes(), limits.storedBytes() + bytes));
    }

    private Optional<UserRepository.Limits> limitsNow(UUID owner) {
        UserRepository.Limits cached = recent.getIfPresent(owner);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<UserRepository.Limits> read = users.findLimits(owner);
        read.ifPresent(limits -> recent.put(owner, limits));
        return read;
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
