package io.pollster.paging;

import java.util.Optional;
import java.util.UUID;

import io.pollster.fetch.Origin;
import io.pollster.user.UserId;

/**
 * What one 429 pauses: one user's requests to one origin. Written to the spacing store as
 * {@code <user id> <scheme>://<host>:<port>} so that every backend keys it the same way.
 */
record OriginPause(UserId owner, Origin origin) {

    String storeKey() {
        return owner + " " + origin.scheme() + "://" + origin.host() + ":" + origin.port();
    }

    /** The pause a store key names; empty for a key this release does not write. */
    static Optional<OriginPause> parse(String key) {
        int space = key.indexOf(' ');
        int scheme = key.indexOf("://", space + 1);
        int port = key.lastIndexOf(':');
        if (space < 0 || scheme < 0 || port <= scheme + 2) {
            return Optional.empty();
        }
        try {
            return Optional.of(new OriginPause(new UserId(UUID.fromString(key.substring(0, space))),
                    new Origin(key.substring(space + 1, scheme), key.substring(scheme + 3, port),
                            Integer.parseInt(key.substring(port + 1)))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
