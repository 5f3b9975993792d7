package io.pollster.user;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

import io.pollster.system.Ids;
import io.pollster.system.web.ApiException;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import org.springframework.stereotype.Service;

@Service
class UserService {

    private final UserRepository users;
    private final Clock clock;

    UserService(UserRepository users, Clock clock) {
        this.users = users;
        this.clock = clock;
    }

    /** Creates a user; the token is in the answer and nowhere else — only its hash is stored. */
    NewUser create(String name) {
        requireStorable(name);
        String token = ApiTokens.generate();
        User user = new User(new UserId(Ids.next()), name, clock.instant().truncatedTo(ChronoUnit.MICROS));
        if (!users.insert(user, ApiTokens.hash(token))) {
            throw ApiException.conflict("A user named '" + name + "' already exists");
        }
        return new NewUser(user, token);
    }

    /**
     * The controller's pattern already keeps names to a safe alphabet; this holds for every caller
     * of the service: a NUL cannot be stored in PostgreSQL text (the insert would fail as a 500),
     * and other control characters in a name would reach logs and the UI.
     */
    private static void requireStorable(String name) {
        if (name == null || name.isEmpty()) {
            throw ApiException.invalid("name", "is required");
        }
        if (name.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.invalid("name", "must not contain control characters such as NUL or a line break");
        }
    }

    Page<User> list(PageQuery query) {
        return Page.of(users.findPage(query.afterId(), query.fetchSize()), query, u -> u.id().toString());
    }

    User get(UserId id) {
        return users.findById(id).orElseThrow(() -> ApiException.notFound("User " + id));
    }

    /** Deletes the user; their token stops working at once, and their jobs go with them. */
    void delete(UserId id) {
        if (!users.delete(id)) {
            throw ApiException.notFound("User " + id);
        }
    }

    void setQuota(UserId id, Integer jobs, Long storedBytes) {
        if (!users.setQuota(id, jobs, storedBytes)) {
            throw ApiException.notFound("User " + id);
        }
    }

    Optional<User> authenticate(byte[] tokenHash) {
        return users.findByTokenHash(tokenHash);
    }

    record NewUser(User user, String token) {
    }
}
