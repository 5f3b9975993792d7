package io.pollster.ui;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.difflib.text.DiffRow;
import com.github.difflib.text.DiffRowGenerator;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.util.HtmlUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The difference between two versions as a page shows it: the API's JSON Patch as a list of
 * changes (path, old value, new value), and the two contents side by side, line by line, with the
 * changed words marked. Text that is not JSON gets the side-by-side view only.
 */
final class Diffs {

    /** Unchanged lines shown around each change. */
    private static final int CONTEXT = 3;
    /** Contents larger than this get the change list only: a line diff of them would be slow and unreadable. */
    private static final int MAX_LINE_DIFF_CHARS = 1024 * 1024;

    private static final DiffRowGenerator ROWS = DiffRowGenerator.create()
            .showInlineDiffs(true)
            .inlineDiffBySplitter(Diffs::tokens)
            .lineNormalizer(HtmlUtils::htmlEscape)
            .oldTag(start -> start ? "<del>" : "</del>")
            .newTag(start -> start ? "<ins>" : "</ins>")
            .build();

    /**
     * Words and numbers (1.0934, -2e5) whole, HTML entities whole (lines are escaped before they are
     * compared), everything else a character at a time: a changed value is marked whole.
     */
    private static final Pattern TOKEN = Pattern.compile("&#?[a-zA-Z0-9]+;|[\\p{L}\\p{N}_.+\\-]+|\\s+|.", Pattern.DOTALL);

    private Diffs() {
    }

    static List<String> tokens(String line) {
        List<String> tokens = new ArrayList<>();
        Matcher matcher = TOKEN.matcher(line);
        while (matcher.find()) {
            tokens.add(matcher.group());
        }
        return tokens;
    }

    /** One JSON Patch operation, with the old value it replaces or removes. */
    record Change(String op, String path, String oldValue, String newValue) {
    }

    /**
     * One line of the side-by-side view, its text HTML-escaped with {@code <del>}/{@code <ins>}
     * around what changed; a {@code gap} row stands for unchanged lines left out.
     */
    record Row(String kind, String oldLine, String newLine, boolean gap) {
    }

    /** @param rows null when the contents are too large to compare line by line */
    record Diff(List<Change> changes, List<Row> rows, boolean json, boolean same) {
    }

    static Diff between(InProcessApi api, HttpServletRequest request, UUID jobId, UUID older, UUID newer, JsonMapper json) {
        InProcessApi.Answer patch = api.get(request, "/api/v1/jobs/" + jobId + "/versions/" + newer + "/diff?against=" + older).orFail();
        Contents.Readable before = content(api, request, jobId, older, json);
        Contents.Readable after = content(api, request, jobId, newer, json);
        List<Change> changes = new ArrayList<>();
        JsonNode answer = patch.tree();
        boolean isJson = "json-patch".equals(answer.path("format").asString());
        if (isJson) {
            JsonNode olderTree = before.text() == null ? null : json.readTree(before.text());
            for (JsonNode op : answer.path("patch")) {
                String path = op.path("path").asString();
                JsonNode old = olderTree == null || !op.path("op").asString().matches("replace|remove")
                        ? null : olderTree.at(path);
                changes.add(new Change(op.path("op").asString(), path.isEmpty() ? "(the whole document)" : path,
                        old == null || old.isMissingNode() ? null : shown(old, json),
                        op.has("value") ? shown(op.get("value"), json) : null));
            }
        }
        List<Row> rows = null;
        if (before.text() != null && after.text() != null
                && before.text().length() <= MAX_LINE_DIFF_CHARS && after.text().length() <= MAX_LINE_DIFF_CHARS) {
            rows = rows(before.text().lines().toList(), after.text().lines().toList());
        }
        boolean same = isJson ? changes.isEmpty() : rows != null && rows.stream().allMatch(r -> r.kind().equals("equal"));
        return new Diff(changes, rows, isJson, same);
    }

    private static Contents.Readable content(InProcessApi api, HttpServletRequest request, UUID jobId, UUID version, JsonMapper json) {
        InProcessApi.Answer content = api.get(request, "/api/v1/jobs/" + jobId + "/versions/" + version + "/content").orFail();
        return Contents.readable(content.body(), content.contentType(), json);
    }

    private static String shown(JsonNode value, JsonMapper json) {
        String text = value.isString() ? '"' + value.asString() + '"' : json.writeValueAsString(value);
        return text.length() > 500 ? text.substring(0, 500) + "…" : text;
    }

    /** Changed lines with {@link #CONTEXT} unchanged ones around them; longer unchanged runs become one gap row. */
    static List<Row> rows(List<String> before, List<String> after) {
        List<DiffRow> all = ROWS.generateDiffRows(before, after);
        boolean[] shown = new boolean[all.size()];
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).getTag() != DiffRow.Tag.EQUAL) {
                for (int j = Math.max(0, i - CONTEXT); j <= Math.min(all.size() - 1, i + CONTEXT); j++) {
                    shown[j] = true;
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        boolean inGap = false;
        for (int i = 0; i < all.size(); i++) {
            if (shown[i]) {
                DiffRow row = all.get(i);
                rows.add(new Row(row.getTag().name().toLowerCase(Locale.ROOT), row.getOldLine(), row.getNewLine(), false));
                inGap = false;
            } else if (!inGap) {
                rows.add(new Row("equal", "", "", true));
                inGap = true;
            }
        }
        return rows;
    }
}
