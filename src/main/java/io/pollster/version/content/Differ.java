package io.pollster.version.content;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.flipkart.zjsonpatch.DiffFlags;
import com.flipkart.zjsonpatch.JsonDiff;
import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import io.pollster.system.CountingEquals;

/**
 * The difference between two versions of a body: an RFC 6902 JSON Patch when both are JSON, else a unified
 * diff of their text.
 *
 * <p>Patches use only {@code add}, {@code remove} and {@code replace}; a {@code remove} also carries the removed
 * {@code value} and a {@code replace} the old one as {@code fromValue}.
 *
 * <p>Bounded in time and memory whatever the bodies: bodies above {@value #MAX_INPUT_BYTES} bytes, more than
 * {@value #MAX_LINES} lines, or so different that the line diff would run long get a one-line
 * {@link Diff.Unified} saying so. JSON whose arrays are too long for zjsonpatch's quadratic array matching is
 * diffed as sorted, indented JSON text instead.
 *
 * <p>Thread-safe; share one instance.
 */
public final class Differ {

    /** Largest body, in bytes, that is diffed at all. */
    public static final int MAX_INPUT_BYTES = 5 * 1024 * 1024;

    static final int MAX_LINES = 100_000;

    // why: Myers' work grows with size times the number of differences; counting line comparisons stops two
    // large, wholly different texts after about a second instead of minutes
    static final long MAX_LINE_COMPARISONS = CountingEquals.DIFF_BUDGET;

    // why: zjsonpatch matches each pair of arrays with an (n+1)×(m+1) int table; 4M cells is 16 MB
    static final long MAX_ARRAY_MATCH_CELLS = 4_000_000;

    private static final int CONTEXT_LINES = 3;

    // why: zjsonpatch pairs every remove with every add to find moves, which took 30 s for 60k renamed keys;
    // without moves and copies it is linear outside arrays. Removes keep the removed value and replaces carry
    // the old one as "fromValue" (members RFC 6902 says to ignore), so a reader sees what went away.
    private static final EnumSet<DiffFlags> PATCH_FLAGS = EnumSet.of(
            DiffFlags.OMIT_MOVE_OPERATION, DiffFlags.OMIT_COPY_OPERATION, DiffFlags.ADD_ORIGINAL_VALUE_ON_REPLACE);

    private final ObjectReader reader;
    private final ObjectWriter prettyWriter;

    public Differ() {
        JsonMapper mapper = JsonMapper.builder()
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .configure(JsonNodeFeature.WRITE_PROPERTIES_SORTED, true)
                .build();
        this.reader = mapper.reader();
        // why: one array element per line, so a changed element shows as a changed line, not a changed array
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        this.prettyWriter = mapper.writer(new DefaultPrettyPrinter()
                .withObjectIndenter(indenter)
                .withArrayIndenter(indenter));
    }

    /**
     * What changed from {@code older} to {@code newer}.
     *
     * @param contentType the newer body's {@code Content-Type}, or {@code null}; its charset (default UTF-8)
     *                    decodes both bodies for a text diff
     */
    public Diff diff(byte[] older, byte[] newer, String contentType) {
        Objects.requireNonNull(older, "older");
        Objects.requireNonNull(newer, "newer");
        if (older.length > MAX_INPUT_BYTES || newer.length > MAX_INPUT_BYTES) {
            return new Diff.Unified(Arrays.equals(older, newer) ? ""
                    : "Bodies differ but are too large to diff (" + older.length + " and " + newer.length
                      + " bytes; the limit is " + MAX_INPUT_BYTES + " bytes each).\n");
        }
        Charset charset = charset(contentType);
        JsonNode olderJson = parseJson(older, charset);
        JsonNode newerJson = olderJson == null ? null : parseJson(newer, charset);
        if (olderJson != null && newerJson != null) {
            if ((long) longestArray(olderJson) * longestArray(newerJson) <= MAX_ARRAY_MATCH_CELLS) {
                return new Diff.JsonPatch(JsonDiff.asJson(olderJson, newerJson, PATCH_FLAGS).toString());
            }
            return unified(older, newer, pretty(olderJson), pretty(newerJson));
        }
        return unified(older, newer, new String(older, charset), new String(newer, charset));
    }

    private Diff.Unified unified(byte[] older, byte[] newer, String olderText, String newerText) {
        List<String> olderLines = lines(olderText);
        List<String> newerLines = lines(newerText);
        if (olderLines.size() > MAX_LINES || newerLines.size() > MAX_LINES) {
            return new Diff.Unified("Bodies differ but have too many lines to diff (" + olderLines.size() + " and "
                    + newerLines.size() + "; the limit is " + MAX_LINES + ").\n");
        }
        Patch<String> patch;
        try {
            patch = DiffUtils.diff(olderLines, newerLines, new CountingEquals(MAX_LINE_COMPARISONS));
        } catch (CountingEquals.Exhausted e) {
            return new Diff.Unified("Bodies differ in too many places to show a line diff.\n");
        }
        if (patch.getDeltas().isEmpty()) {
            return new Diff.Unified(Arrays.equals(older, newer) ? ""
                    : "Bodies differ only in what a line diff does not show: line endings, a final newline, "
                      + "bytes that are not valid text, or JSON spelling.\n");
        }
        List<String> diff = UnifiedDiffUtils.generateUnifiedDiff("previous", "current", olderLines, patch, CONTEXT_LINES);
        return new Diff.Unified(String.join("\n", diff) + "\n");
    }

    private JsonNode parseJson(byte[] body, Charset charset) {
        try {
            // why: Jackson detects UTF-8/16/32 from the bytes; any other charset must be decoded first
            JsonNode tree = charset.name().startsWith("UTF-") ? reader.readTree(body)
                    : reader.readTree(new String(body, charset));
            return tree == null || tree.isMissingNode() ? null : tree;
        } catch (IOException | ArithmeticException | NumberFormatException notJson) {
            return null;
        }
    }

    private String pretty(JsonNode tree) {
        try {
            return prettyWriter.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A parsed JSON tree could not be written back", e);
        }
    }

    private static int longestArray(JsonNode root) {
        int longest = 0;
        Deque<JsonNode> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.isArray()) {
                longest = Math.max(longest, node.size());
            }
            if (node.isContainerNode()) {
                node.forEach(pending::push);
            }
        }
        return longest;
    }

    private static List<String> lines(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        String[] lines = text.split("\r\n|\r|\n", -1);
        int count = lines[lines.length - 1].isEmpty() ? lines.length - 1 : lines.length;
        return Arrays.asList(lines).subList(0, count);
    }

    private static Charset charset(String contentType) {
        if (contentType != null) {
            String[] parts = contentType.split(";");
            for (int i = 1; i < parts.length; i++) {
                String param = parts[i].strip();
                int eq = param.indexOf('=');
                if (eq > 0 && param.substring(0, eq).strip().equalsIgnoreCase("charset")) {
                    String name = param.substring(eq + 1).strip().replace("\"", "");
                    try {
                        return Charset.forName(name);
                    } catch (IllegalArgumentException unknown) {
                        return StandardCharsets.UTF_8;
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }
}
