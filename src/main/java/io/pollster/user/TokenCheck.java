package io.pollster.user;

import java.time.Duration;
import java.util.Optional;

/**
 * Decides who a bearer token belongs to, for the API's header and for the web UI's login form
 * alike: the admin token in memory (a constant-time comparison of hashes), a user's by its hash;
 * invalid tokens are counted per address by {@link FailedTokenThrottle}, and past its limit no token
 * is compared or looked up, the admin's included.
 */
final class TokenCheck {

    sealed interface Result {
    }

    record Valid(Caller caller, byte[] tokenHash) implements Result {
    }

    record Invalid() implements Result {
    }

    record Throttled(Duration retryIn) implements Result {
    }

    private final AdminToken adminToken;
    private final UserService users;
    private final FailedTokenThrottle throttle;

    TokenCheck(AdminToken adminToken, UserService users, FailedTokenThrottle throttle) {
        this.adminToken = adminToken;
        this.users = users;
        this.throttle = throttle;
    }

    Result check(String token, String address) {
        byte[] hash = token == null || token.isEmpty() || token.length() > ApiTokens.MAX_LENGTH ? null : ApiTokens.hash(token);
        // the throttle first, for the admin token too: an operator-chosen token must not be guessable at full speed
        Duration wait = throttle.throttled(address, hash);
        if (wait != null) {
            return new Throttled(wait);
        }
        if (hash != null && adminToken.matches(hash)) {
            // never remembered as recently valid: from a throttled address it waits like any guess
            return new Valid(Caller.ofAdmin(), hash);
        }
        Optional<Caller> caller = hash == null ? Optional.empty() : users.authenticate(hash).map(Caller::ofUser);
        if (caller.isEmpty()) {
            throttle.failed(address);
            return new Invalid();
        }
        throttle.succeeded(hash);
        return new Valid(caller.get(), hash);
    }

    /**
     * What a web UI session started with this token stores to end with it: a user's token hash
     * (already in {@code users}), or for the admin a keyed mark ({@link AdminToken#sessionMark()}),
     * never a plain hash of the admin token.
     */
    byte[] sessionBinding(Valid valid) {
        return valid.caller().admin() ? adminToken.sessionMark() : valid.tokenHash();
    }

    /** Whether a session's stored binding is the current admin token's. */
    boolean bindsAdmin(byte[] binding) {
        return adminToken.marks(binding);
    }
}
