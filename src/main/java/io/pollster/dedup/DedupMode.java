package io.pollster.dedup;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a response body is normalised before it is hashed. Named {@code "exact"}, {@code "json"} and
 * {@code "text"} in the API and in storage.
 */
public enum DedupMode {

    /** The raw bytes, as received. */
    @JsonProperty("exact")
    EXACT,

    /** Canonical JSON (sorted keys, no insignificant whitespace, normalised numbers) after deleting {@code ignorePaths}. */
    @JsonProperty("json")
    JSON,

    /** The decoded text after deleting every match of each {@code ignorePatterns} regex. */
    @JsonProperty("text")
    TEXT;

    /** The name used in the API and in storage: {@code exact}, {@code json} or {@code text}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mode with that wire name (any case); {@link IllegalArgumentException} for anything else. */
    public static DedupMode fromWireName(String name) {
        for (DedupMode mode : values()) {
            if (mode.wireName().equalsIgnoreCase(name)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("Unknown dedup mode '" + name + "'; expected exact, json or text");
    }
}
