package io.pollster.system.web;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/**
 * {@code limit} (1–1000, default 50) and an opaque {@code cursor}: the position after the last item
 * of the previous page, so pages stay stable while rows are added.
 */
public record PageQuery(int limit, String after) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 1000;
    private static final UUID BEFORE_ALL = new UUID(0, 0);

    public static PageQuery of(Integer limit, String cursor) {
        int effective = limit == null ? DEFAULT_LIMIT : limit;
        if (effective < 1 || effective > MAX_LIMIT) {
            throw ApiException.invalid("limit", "must be between 1 and " + MAX_LIMIT);
        }
        return new PageQuery(effective, cursor == null || cursor.isBlank() ? null : decode(cursor));
    }

    /** Rows to fetch: one more than the limit, to learn whether a next page exists. */
    public int fetchSize() {
        return limit + 1;
    }

    /** The cursor as an id, for lists ordered by a (time-ordered) UUID. */
    public UUID afterId() {
        if (after == null) {
            return BEFORE_ALL;
        }
        try {
            return UUID.fromString(after);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("cursor", "is not a cursor this list returned");
        }
    }

    /** The cursor as a number, for lists ordered by one; {@code none} on the first page. */
    public long afterNumber(long none) {
        if (after == null) {
            return none;
        }
        try {
            return Long.parseLong(after);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("cursor", "is not a cursor this list returned");
        }
    }

    static String encode(String position) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(position.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String cursor) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("cursor", "is not a cursor this list returned");
        }
    }
}
