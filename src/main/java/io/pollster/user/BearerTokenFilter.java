package io.pollster.user;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

import io.pollster.system.web.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Lets a {@code /api/v1} request through only with a valid bearer token, and records who the
 * caller is. A plain filter rather than Spring Security: one header, one indexed lookup, nothing
 * else to configure (see docs/decisions.md). Invalid tokens are counted per client address by
 * {@link FailedTokenThrottle}: past its limit, the address gets 429 without a lookup.
 */
class BearerTokenFilter extends OncePerRequestFilter {

    private static final String SCHEME = "Bearer ";

    private final AdminToken adminToken;
    private final UserService users;
    private final FailedTokenThrottle throttle;

    BearerTokenFilter(AdminToken adminToken, UserService users, FailedTokenThrottle throttle) {
        this.adminToken = adminToken;
        this.users = users;
        this.throttle = throttle;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            unauthorized(response, "This needs an 'Authorization: Bearer <token>' header");
            return;
        }
        String token = header.substring(SCHEME.length()).strip();
        byte[] hash = token.isEmpty() || token.length() > ApiTokens.MAX_LENGTH ? null : ApiTokens.hash(token);
        Optional<Caller> caller;
        if (hash != null && adminToken.matches(hash)) {
            caller = Optional.of(Caller.ofAdmin()); // checked in memory: nothing to spare by throttling it
        } else {
            Duration wait = throttle.throttled(request.getRemoteAddr(), hash);
            if (wait != null) {
                tooManyFailures(response, wait);
                return;
            }
            caller = hash == null ? Optional.empty() : users.authenticate(hash).map(Caller::ofUser);
            if (caller.isPresent()) {
                throttle.succeeded(hash);
            } else {
                throttle.failed(request.getRemoteAddr());
            }
        }
        if (caller.isEmpty()) {
            unauthorized(response, "The bearer token is not valid");
            return;
        }
        request.setAttribute(Caller.ATTRIBUTE, caller.get());
        chain.doFilter(request, response);
    }

    private static void tooManyFailures(HttpServletResponse response, Duration wait) throws IOException {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        ProblemWriter.write(response, HttpStatus.TOO_MANY_REQUESTS,
                "Too many invalid tokens from this address; try again in " + seconds + " seconds");
    }

    private static void unauthorized(HttpServletResponse response, String detail) throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        ProblemWriter.write(response, HttpStatus.UNAUTHORIZED, detail);
    }
}
