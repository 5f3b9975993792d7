package io.pollster.job;

import java.util.Objects;
import java.util.UUID;

/** A job's id; typed so it is never confused with a user's or a version's. */
public record JobId(UUID value) {

    public JobId {
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
