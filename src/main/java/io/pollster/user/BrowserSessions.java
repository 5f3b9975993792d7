package io.pollster.user;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseCookie;
import org.springframework.stereotype.Component;

/**
 * Web UI sessions: the login form exchanges a bearer token for a random session id in a cookie
 * ({@code HttpOnly}, {@code SameSite=Strict}; over TLS {@code Secure} and named with the
 * {@code __Host-} prefix, see {@link #SECURE_COOKIE}), which is all the browser
 * keeps; the token itself goes nowhere. Sessions live in the database, so any api node serves
 * them and logout ends them everywhere; each carries its own CSRF token for forms. A user (and the
 * admin) holds at most {@code pollster.ui.max-sessions-per-user}: a login beyond it ends the oldest.
 */
@Component
public class BrowserSessions {

    public static final String COOKIE = "pollster_session";
    /**
     * The cookie's name over TLS (the request is secure, directly or as a TLS-terminating proxy
     * says with {@code server.forward-headers-strategy}): a browser takes a {@code __Host-} cookie
     * only with {@code Secure}, {@code Path=/} and no {@code Domain}, so a plain-HTTP page or a
     * sibling domain cannot plant or overwrite it.
     */
    public static final String SECURE_COOKIE = "__Host-" + COOKIE;
    static final String CSRF_ATTRIBUTE = BrowserSessions.class.getName() + ".csrf";

    private final BrowserSessionRepository sessions;
    private final TokenCheck tokens;
    private final Clock clock;
    private final Duration ttl;
    private final int maxPerUser;

    BrowserSessions(BrowserSessionRepository sessions, TokenCheck tokens, Clock clock,
                    @Value("${pollster.ui.session-ttl:12h}") Duration ttl,
                    @Value("${pollster.ui.max-sessions-per-user:20}") int maxPerUser) {
        if (maxPerUser < 1) {
            throw new IllegalArgumentException("pollster.ui.max-sessions-per-user must be at least 1");
        }
        this.sessions = sessions;
        this.tokens = tokens;
        this.clock = clock;
        this.ttl = ttl;
        this.maxPerUser = maxPerUser;
    }

    /** What a login attempt came to. */
    public sealed interface Login {
        /** @param cookie the Set-Cookie header value that starts the session */
        record Started(String cookie) implements Login {
        }

        record Refused() implements Login {
        }

        record Throttled(long seconds) implements Login {
        }
    }

    public Login login(String token, HttpServletRequest request) {
        return switch (tokens.check(token == null ? null : token.strip(), request.getRemoteAddr())) {
            case TokenCheck.Valid valid -> new Login.Started(start(valid, request));
            case TokenCheck.Invalid invalid -> new Login.Refused();
            case TokenCheck.Throttled throttled -> new Login.Throttled(Math.max(1, (throttled.retryIn().toMillis() + 999) / 1000));
        };
    }

    private String start(TokenCheck.Valid valid, HttpServletRequest request) {
        String id = ApiTokens.random();
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        sessions.deleteExpired(now);
        UUID userId = valid.caller().admin() ? null : valid.caller().userId().value();
        sessions.insert(ApiTokens.hash(id), userId, tokens.sessionBinding(valid), ApiTokens.random(), now, now.plus(ttl));
        sessions.deleteOldest(userId, maxPerUser); // logins cannot pile up rows: the oldest session ends
        return cookie(id, ttl, request).toString();
    }

    /** Ends the request's session, if it has one; answers the Set-Cookie header value that clears the cookie. */
    public String logout(HttpServletRequest request) {
        String id = cookieValue(request);
        if (id != null) {
            sessions.delete(ApiTokens.hash(id));
        }
        return cookie("", Duration.ZERO, request).toString();
    }

    /** The session behind the request's cookie: its caller and CSRF token; empty when none, expired or revoked. */
    Optional<Session> find(HttpServletRequest request) {
        String id = cookieValue(request);
        if (id == null || id.length() > ApiTokens.MAX_LENGTH) {
            return Optional.empty();
        }
        byte[] idHash = ApiTokens.hash(id);
        return sessions.find(idHash, clock.instant()).flatMap(row -> {
            if (row.userId() == null) {
                return tokens.bindsAdmin(row.tokenHash()) ? Optional.of(new Session(Caller.ofAdmin(), row.csrf(), idHash)) : Optional.empty();
            }
            return Optional.of(new Session(new Caller(new UserId(row.userId()), row.userName(), false), row.csrf(), idHash));
        });
    }

    record Session(Caller caller, String csrf, byte[] idHash) {
        Credential credential() {
            return new Credential(Credential.Kind.SESSION, idHash);
        }

        boolean csrfMatches(String sent) {
            return sent != null && MessageDigest.isEqual(csrf.getBytes(StandardCharsets.UTF_8),
                    sent.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The CSRF token of the request's session, for the forms of the page it renders. */
    public static String csrf(HttpServletRequest request) {
        return (String) request.getAttribute(CSRF_ATTRIBUTE);
    }

    /** Over TLS only the {@code __Host-} cookie counts: a plain one could have been planted over HTTP. */
    private static String cookieName(HttpServletRequest request) {
        return request.isSecure() ? SECURE_COOKIE : COOKIE;
    }

    private static String cookieValue(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return null;
        }
        String name = cookieName(request);
        for (Cookie cookie : cookies) {
            if (name.equals(cookie.getName()) && !cookie.getValue().isEmpty()) {
                return cookie.getValue();
            }
        }
        return null;
    }

    private static ResponseCookie cookie(String value, Duration maxAge, HttpServletRequest request) {
        return ResponseCookie.from(cookieName(request), value)
                .path("/")
                .httpOnly(true)
                .sameSite("Strict")
                .secure(request.isSecure())
                .maxAge(maxAge)
                .build();
    }
}
