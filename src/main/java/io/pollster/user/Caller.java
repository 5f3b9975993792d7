package io.pollster.user;

import io.pollster.system.web.ApiException;

/**
 * Who is calling {@code /api/v1}: the admin, or a user. Controllers take it as a parameter; it is
 * set by {@link BearerTokenFilter} and cannot be forged by the request.
 *
 * @param userId null for the admin, who is not a user row
 */
public record Caller(UserId userId, String name, boolean admin) {

    static final String ATTRIBUTE = Caller.class.getName();

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
