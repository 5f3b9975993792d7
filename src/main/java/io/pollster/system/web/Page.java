package io.pollster.system.web;

import java.util.List;
import java.util.function.Function;

/** One page of a list answer: {@code {"items":[…],"nextCursor":"…"|null}}. */
public record Page<T>(List<T> items, String nextCursor) {

    /**
     * Builds the page from {@code rows} fetched with {@link PageQuery#fetchSize()} (one more than
     * the limit): the extra row only tells that another page exists.
     */
    public static <T> Page<T> of(List<T> rows, PageQuery query, Function<T, String> cursorOf) {
        if (rows.size() <= query.limit()) {
            return new Page<>(List.copyOf(rows), null);
        }
        List<T> items = List.copyOf(rows.subList(0, query.limit()));
        return new Page<>(items, PageQuery.encode(cursorOf.apply(items.getLast())));
    }

    /**
     * A page that stopped before the limit (its items were large): the cursor continues after its
     * last item, so the caller simply pages on.
     */
    public static <T> Page<T> cutShort(List<T> items, Function<T, String> cursorOf) {
        return new Page<>(List.copyOf(items), items.isEmpty() ? null : PageQuery.encode(cursorOf.apply(items.getLast())));
    }

    public <R> Page<R> map(Function<T, R> mapper) {
        return new Page<>(items.stream().map(mapper).toList(), nextCursor);
    }
}
