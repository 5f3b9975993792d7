package io.pollster.transport;

import java.util.Locale;

/** What a dead letter was: stored and answered in lower case. */
public enum DeadLetterType {
    POLL, PAGE, DELIVERY, MESSAGE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException for a name that is none of them */
    public static DeadLetterType fromWireName(String name) {
        for (DeadLetterType type : values()) {
            if (type.wireName().equals(name)) {
                return type;
            }
        }
        throw new IllegalArgumentException("must be one of poll, page, delivery, message");
    }
}
