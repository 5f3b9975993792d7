package io.pollster.dedup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import io.pollster.system.web.InvalidField;

/**
 * A job's {@code dedup} settings: how its response bodies are normalised before hashing.
 *
 * <p>Construction never fails on content so that a request can be answered with every problem at once:
 * call {@link #validate(String)} before accepting a spec. {@link Normalizer} refuses specs that do not
 * validate.
 *
 * @param mode           the mode, or {@code null} for "by content type" ({@code json} for JSON, else {@code exact})
 * @param ignorePaths    JSONPaths (starting with {@code $}) whose matches are deleted before hashing; json mode only
 * @param ignorePatterns Java regular expressions whose matches are deleted from the text before hashing; text
 *                       mode only. Default flags apply: add {@code (?m)} for line anchors, {@code (?s)} for
 *                       {@code .} to match newlines.
 */
public record DedupSpec(DedupMode mode, List<String> ignorePaths, List<String> ignorePatterns) {

    /** Mode by content type, nothing ignored. */
    public static final DedupSpec DEFAULT = new DedupSpec(null, List.of(), List.of());

    /** Most entries allowed in {@code ignorePaths}, and separately in {@code ignorePatterns}. */
    public static final int MAX_ENTRIES = 50;

    /** Longest allowed path or pattern, in characters. */
    public static final int MAX_ENTRY_LENGTH = 500;

    public DedupSpec {
        ignorePaths = copyOf(ignorePaths);
        ignorePatterns = copyOf(ignorePatterns);
    }

    /**
     * Every problem with this spec, each named by its field, e.g. {@code dedup.ignorePaths[1]} "is not a valid
     * JSONPath: …". Empty when the spec is usable.
     *
     * @param fieldPrefix the name of this spec in the request ({@code "dedup"}); blank or {@code null} for none
     */
    public List<InvalidField> validate(String fieldPrefix) {
        String prefix = fieldPrefix == null || fieldPrefix.isBlank() ? "" : fieldPrefix + ".";
        List<InvalidField> errors = new ArrayList<>();
        if (!ignorePaths.isEmpty() && mode != null && mode != DedupMode.JSON) {
            errors.add(new InvalidField(prefix + "ignorePaths", "applies only to json mode, but mode is " + mode.wireName()));
        }
        if (!ignorePatterns.isEmpty() && mode != DedupMode.TEXT) {
            errors.add(new InvalidField(prefix + "ignorePatterns", "applies only to text mode, but mode is "
                    + (mode == null ? "chosen by content type (json or exact)" : mode.wireName())));
        }
        checkEntries(prefix + "ignorePaths", ignorePaths, DedupSpec::jsonPathProblem, errors);
        checkEntries(prefix + "ignorePatterns", ignorePatterns, DedupSpec::regexProblem, errors);
        return List.copyOf(errors);
    }

    private static void checkEntries(String field, List<String> entries, EntryCheck check, List<InvalidField> errors) {
        if (entries.size() > MAX_ENTRIES) {
            errors.add(new InvalidField(field, "must have at most " + MAX_ENTRIES + " entries, has " + entries.size()));
            return;
        }
        for (int i = 0; i < entries.size(); i++) {
            String entry = entries.get(i);
            String problem;
            if (entry == null || entry.isBlank()) {
                problem = "must not be blank";
            } else if (entry.length() > MAX_ENTRY_LENGTH) {
                problem = "must be at most " + MAX_ENTRY_LENGTH + " characters, has " + entry.length();
            } else {
                problem = check.problem(entry);
            }
            if (problem != null) {
                errors.add(new InvalidField(field + "[" + i + "]", problem));
            }
        }
    }

    private static String jsonPathProblem(String path) {
        String problem = readPathProblem(path);
        if (problem != null) {
            return problem;
        }
        JsonPath compiled = JsonPath.compile(path);
        if (compiled.getPath().equals("$")) {
            return "must select part of the document, not the whole of it";
        }
        if (compiled.getPath().endsWith(")")) {
            // why: deleting "$.a.length()" deletes $.a, which is never what was meant
            return "must select values to delete, not end in a function such as length()";
        }
        return null;
    }

    /**
     * Why a JSONPath that reads from a document (a total, a cursor, a job's items) cannot be used
     * — it does not parse, or its work could grow faster than the document — or null when it can.
     */
    public static String readPathProblem(String path) {
        if (path == null || path.isBlank()) {
            return "must be a JSONPath such as $.next";
        }
        if (path.length() > MAX_ENTRY_LENGTH) {
            return "must be at most " + MAX_ENTRY_LENGTH + " characters";
        }
        if (!path.startsWith("$")) {
            return "is not a valid JSONPath: it must start with $ (e.g. $.serverTime)";
        }
        PathShape shape = PathShape.of(path);
        if (!shape.balanced()) {
            // why: JsonPath reads "$.items[" as "$.items", so a typo would silently ignore the whole array
            return "is not a valid JSONPath: its brackets, parentheses or quotes are not balanced";
        }
        if (shape.unboundedWork() != null) {
            return shape.unboundedWork();
        }
        try {
            JsonPath.compile(path);
        } catch (InvalidPathException | IllegalArgumentException e) {
            return "is not a valid JSONPath: " + shorten(e.getMessage());
        }
        return null;
    }

    /**
     * What a path holds outside its quoted names, read in one pass: whether its brackets,
     * parentheses and quotes balance, and what could make its work grow faster than the document —
     * a regex filter ({@code =~}, evaluated by java.util.regex without any step budget:
     * {@code ^(.*a){25}$} takes minutes on a 30-character string), a deep scan inside a filter (each
     * match scans its whole subtree again) and more than one deep scan. Without those a path costs
     * at most one walk of the document.
     */
    private record PathShape(boolean balanced, boolean regexFilter, boolean deepScanInFilter, int deepScans) {

        static PathShape of(String path) {
            int brackets = 0;
            int parentheses = 0;
            int deepScans = 0;
            boolean regexFilter = false;
            boolean deepScanInFilter = false;
            boolean negative = false;
            char quote = 0;
            for (int i = 0; i < path.length(); i++) {
                char c = path.charAt(i);
                if (quote != 0) {
                    if (c == '\\') {
                        i++;
                    } else if (c == quote) {
                        quote = 0;
                    }
                    continue;
                }
                char next = i + 1 < path.length() ? path.charAt(i + 1) : 0;
                switch (c) {
                    case '\'', '"' -> quote = c;
                    case '[' -> brackets++;
                    case ']' -> brackets--;
                    case '(' -> parentheses++;
                    case ')' -> parentheses--;
                    case '=' -> regexFilter |= next == '~';
                    case '.' -> {
                        if (next == '.') {
                            deepScans++;
                            deepScanInFilter |= parentheses > 0;
                            i++;
                        }
                    }
                    default -> {
                    }
                }
                negative |= brackets < 0 || parentheses < 0;
            }
            return new PathShape(!negative && quote == 0 && brackets == 0 && parentheses == 0, regexFilter,
                    deepScanInFilter, deepScans);
        }

        /** Why the path's work has no bound, or null. */
        String unboundedWork() {
            if (regexFilter) {
                return "must not use a regular-expression filter (=~): its cost has no bound on a hostile answer; "
                        + "use dedup mode text with ignorePatterns instead";
            }
            if (deepScanInFilter) {
                return "must not deep-scan (..) inside a filter: every match would scan its subtree again";
            }
            return deepScans > 1 ? "may deep-scan (..) once, not " + deepScans + " times" : null;
        }
    }

    private static String regexProblem(String regex) {
        try {
            Pattern.compile(regex);
            return null;
        } catch (PatternSyntaxException e) {
            return "is not a valid regular expression: " + shorten(e.getDescription() + " near index " + e.getIndex());
        }
    }

    private static String shorten(String message) {
        if (message == null) {
            return "unreadable";
        }
        String oneLine = message.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "…";
    }

    // why: keeps null entries (List.copyOf would throw) so that validate() can name them
    private static List<String> copyOf(List<String> list) {
        return list == null || list.isEmpty() ? List.of() : Collections.unmodifiableList(new ArrayList<>(list));
    }

    @FunctionalInterface
    private interface EntryCheck {
        String problem(String entry);
    }
}
