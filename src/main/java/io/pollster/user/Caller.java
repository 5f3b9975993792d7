package io.pollster.user;

import java.util.Optional;

import io.pollster.system.web.ApiException;
import jakarta.servlet.ServletRequest;

/**
 * Who is calling {@code /api/v1}: the admin, or a user. Controllers take it as a parameter; it is
 * set by {@link BearerTokenFilter} and cannot be forged by the request.
 *
 * @param userId null for the admin, who is not a user row
 */
public record Caller(UserId userId, String name, boolean admin) {

    /** The request attribute that holds the caller, once a token or a session proved who it is. */
    public static final String ATTRIBUTE = Caller.class.getName();

    /** Who made this request; empty when no token or session proved it (yet). */
    public static Optional<Caller> of(ServletRequest request) {
        return Optional.ofNullable((Caller) request.getAttribute(ATTRIBUTE));
    }

    static Caller ofAdmin() {
        return new Caller(null, "admin", true);
    }

    static Caller ofUser(User user) {
        return new Caller(user.id(), user.name(), false);
    }

    public void requireAdmin() {
        if (!admin) {
            throw ApiException.forbidden("This needs the admin token");
        }
    }
}
