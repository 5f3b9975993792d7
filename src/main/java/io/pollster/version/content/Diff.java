package io.pollster.version.content;

import java.util.Objects;

/** What changed between two versions of a body, in the form the API returns. */
public sealed interface Diff {

    /** {@code "json-patch"} or {@code "unified"}: the API's {@code format} field. */
    default String format() {
        return switch (this) {
            case JsonPatch ignored -> "json-patch";
            case Unified ignored -> "unified";
        };
    }

    /**
     * Both versions are JSON: the RFC 6902 operations that turn the older document into the newer.
     *
     * @param patch the JSON array of operations, as text
     */
    record JsonPatch(String patch) implements Diff {
        public JsonPatch {
            Objects.requireNonNull(patch, "patch");
        }
    }

    /**
     * Anything else: a unified diff of the text ({@code --- previous}, {@code +++ current}, 3 lines of context),
     * empty when the bodies are equal; or one line saying why no line diff can be shown.
     */
    record Unified(String diff) implements Diff {
        public Unified {
            Objects.requireNonNull(diff, "diff");
        }
    }
}
