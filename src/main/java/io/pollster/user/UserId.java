package io.pollster.user;

import java.util.Objects;
import java.util.UUID;

/** A user's id; typed so it is never confused with a job's or a version's. */
public record UserId(UUID value) {

    public UserId {
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
