package io.pollster.user;

import java.time.Duration;
import java.util.Optional;

/**
 * Decides who a bearer token belongs to, for the API's header and for the web UI's login form
 * alike: the admin token in memory, a user's by its hash, invalid tokens counted per address by
 * {@link FailedTokenThrottle}.
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
        if (hash != null && adminToken.matches(hash)) {
            return new Valid(Caller.ofAdmin(), hash); // checked in memory: nothing to spare by throttling it
        }
        Duration wait = throttle.throttled(address, hash);
        if (wait != null) {
            return new Throttled(wait);
        }
        Optional<Caller> caller = hash == null ? Optional.empty() : users.authenticate(hash).map(Caller::ofUser);
        if (caller.isEmpty()) {
            throttle.failed(address);
            return new Invalid();
        }
        throttle.succeeded(hash);
        return new Valid(caller.get(), hash);
    }

    boolean isAdmin(byte[] tokenHash) {
        return adminToken.matches(tokenHash);
    }
}
