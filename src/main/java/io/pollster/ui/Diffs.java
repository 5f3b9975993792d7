package io.pollster.ui;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.difflib.text.DiffRow;
import com.github.difflib.text.DiffRowGenerator;
import io.pollster.system.CountingEquals;
import io.pollster.system.ViewWork;
import io.pollster.user.Caller;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.util.HtmlUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The difference between two versions as a page shows it: the API's JSON Patch as a list of
 * changes (path, old value, new value), and the two contents side by side, line by line, with the
 * changed words marked. Text that is not JSON gets the side-by-side view only.
 *
 * <p>Bounded by work, not only by size: the line diff and the marking of changed words share one
 * budget of comparisons ({@link CountingEquals#DIFF_BUDGET}, the API's own), past which the page
 * says the versions are too different to compare line by line; and all of it runs on
 * {@link ViewWork}'s threads, so a heavy comparison never holds a carrier other requests need.
 */
@Component
class Diffs {

    /** Unchanged lines shown around each change. */
    private static final int CONTEXT = 3;
    /** Contents larger than this get the change list only: a line diff of them would be slow and unreadable. */
    static final int MAX_LINE_DIFF_CHARS = 1024 * 1024;
    /** A page lists at most this many changes and rows; the API has them all. */
    static final int MAX_SHOWN = 2_000;

    /**
     * Words and numbers (1.0934, -2e5) whole, HTML entities whole (lines are escaped before they are
     * compared), everything else a character at a time: a changed value is marked whole.
     */
    private static final Pattern TOKEN = Pattern.compile("&#?[a-zA-Z0-9]+;|[\\p{L}\\p{N}_.+\\-]+|\\s+|.", Pattern.DOTALL);

    private final InProcessApi api;
    private final JsonMapper json;
    private final ViewWork views;

    Diffs(InProcessApi api, JsonMapper json, ViewWork views) {
        this.api = api;
        this.json = json;
        this.views = views;
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

    /**
     * @param rows       null when there is no side-by-side view; {@code noRows} says why
     * @param noRows     why there is no side-by-side view, or null
     * @param notShown   changes and rows left out of the page beyond {@link #MAX_SHOWN}
     */
    record Diff(List<Change> changes, List<Row> rows, String noRows, int notShown, boolean json, boolean same) {
    }

    /** The page's view of what changed from {@code older} to {@code newer}, as the page's caller. */
    Diff between(HttpServletRequest request, UUID jobId, UUID older, UUID newer) {
        JsonNode patch = api.get(request, "/api/v1/jobs/" + jobId + "/versions/" + newer + "/diff?against=" + older).orFail().tree();
        InProcessApi.Answer before = content(request, jobId, older);
        InProcessApi.Answer after = content(request, jobId, newer);
        UUID owner = Caller.of(request).map(c -> c.userId() == null ? null : c.userId().value()).orElse(null);
        return views.call(owner, () -> compare(patch, Contents.readable(before.body(), before.contentType(), json),
                Contents.readable(after.body(), after.contentType(), json)));
    }

    private Diff compare(JsonNode patch, Contents.Readable before, Contents.Readable after) {
        List<Change> changes = new ArrayList<>();
        int notShown = 0;
        boolean isJson = "json-patch".equals(patch.path("format").asString());
        if (isJson) {
            JsonNode olderTree = before.text() == null ? null : json.readTree(before.text());
            for (JsonNode op : patch.path("patch")) {
                if (changes.size() == MAX_SHOWN) {
                    notShown++;
                    continue;
                }
                String path = op.path("path").asString();
                JsonNode old = olderTree == null || !op.path("op").asString().matches("replace|remove")
                        ? null : olderTree.at(path);
                changes.add(new Change(op.path("op").asString(), path.isEmpty() ? "(the whole document)" : path,
                        old == null || old.isMissingNode() ? null : shown(old),
                        op.has("value") ? shown(op.get("value")) : null));
            }
        }
        List<Row> rows = null;
        String noRows = null;
        if (before.text() == null || after.text() == null) {
            noRows = "These contents are not text, so they are not shown side by side.";
        } else if (before.text().length() > MAX_LINE_DIFF_CHARS || after.text().length() > MAX_LINE_DIFF_CHARS) {
            noRows = "These contents are too large to show side by side.";
        } else {
            try {
                rows = rows(before.text().lines().toList(), after.text().lines().toList());
            } catch (CountingEquals.Exhausted e) {
                noRows = "These versions are too different to compare line by line.";
            }
        }
        if (rows != null && rows.size() > MAX_SHOWN) {
            notShown += rows.size() - MAX_SHOWN;
            rows = List.copyOf(rows.subList(0, MAX_SHOWN));
        }
        boolean same = isJson ? changes.isEmpty() : rows != null && rows.stream().allMatch(r -> r.kind().equals("equal"));
        return new Diff(changes, rows, noRows, notShown, isJson, same);
    }

    private InProcessApi.Answer content(HttpServletRequest request, UUID jobId, UUID version) {
        return api.get(request, "/api/v1/jobs/" + jobId + "/versions/" + version + "/content").orFail();
    }

    private String shown(JsonNode value) {
        String text = value.isString() ? '"' + value.asString() + '"' : json.writeValueAsString(value);
        return text.length() > 500 ? text.substring(0, 500) + "…" : text;
    }

    /**
     * Changed lines with {@link #CONTEXT} unchanged ones around them; longer unchanged runs become one gap row.
     *
     * @throws CountingEquals.Exhausted when comparing the lines, and the words of changed ones, would
     *                                  take more than one diff's budget
     */
    static List<Row> rows(List<String> before, List<String> after) {
        // why: one generator per comparison, so that the line diff and every changed line's word diff draw on one budget
        DiffRowGenerator generator = DiffRowGenerator.create()
                .showInlineDiffs(true)
                .inlineDiffBySplitter(Diffs::tokens)
                .lineNormalizer(HtmlUtils::htmlEscape)
                .oldTag(start -> start ? "<del>" : "</del>")
                .newTag(start -> start ? "<ins>" : "</ins>")
                .equalizer(new CountingEquals(CountingEquals.DIFF_BUDGET))
                .build();
        List<DiffRow> all = generator.generateDiffRows(before, after);
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
