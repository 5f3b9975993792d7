package io.pollster.ui;

import java.util.List;
import java.util.stream.IntStream;

import io.pollster.system.CountingEquals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The side-by-side rows a diff page renders as HTML: escaped, marked whole, gaps for long unchanged runs. */
class DiffsTest {

    @Test
    void markupInAContentIsEscapedAndOnlyTheMarksAreTags() {
        List<Diffs.Row> rows = Diffs.rows(List.of("<script>alert(1)</script> \"price\": 1.0812"),
                List.of("<script>alert(1)</script> \"price\": 1.0934"));
        assertThat(rows).hasSize(1);
        Diffs.Row row = rows.getFirst();
        assertThat(row.kind()).isEqualTo("change");
        assertThat(row.oldLine()).startsWith("&lt;script&gt;alert(1)&lt;/script&gt; &quot;price&quot;: <del>1.0812</del>")
                .doesNotContain("<script>");
        assertThat(row.newLine()).endsWith("<ins>1.0934</ins>").doesNotContain("<script>");
    }

    @Test
    void longUnchangedRunsFoldIntoOneGapRowWithThreeLinesOfContextAroundAChange() {
        List<String> before = IntStream.range(0, 40).mapToObj(i -> "line " + i).toList();
        List<String> after = new java.util.ArrayList<>(before);
        after.set(20, "line twenty");
        List<Diffs.Row> rows = Diffs.rows(before, after);
        assertThat(rows).hasSize(1 + 7 + 1);
        assertThat(rows.getFirst().gap()).isTrue();
        assertThat(rows.get(4).kind()).isEqualTo("change");
        assertThat(rows.get(4).newLine()).isEqualTo("line <ins>twenty</ins>");
        assertThat(rows.getLast().gap()).isTrue();
    }

    @Test
    @Timeout(60)
    void twoLargeWhollyDifferentTextsStopAtTheBudgetInsteadOfRunningForMinutes() {
        List<String> before = IntStream.range(0, 150_000).mapToObj(i -> "a" + i).toList();
        List<String> after = IntStream.range(0, 150_000).mapToObj(i -> "b" + i).toList();
        assertThatThrownBy(() -> Diffs.rows(before, after)).isInstanceOf(CountingEquals.Exhausted.class);
    }

    @Test
    @Timeout(60)
    void oneHugeChangedLineStopsAtTheBudgetToo() {
        // one line each: the line diff is one comparison, marking the changed words is the work
        String before = String.join(" ", IntStream.range(0, 200_000).mapToObj(i -> "a" + i).toList());
        String after = String.join(" ", IntStream.range(0, 200_000).mapToObj(i -> "b" + i).toList());
        assertThatThrownBy(() -> Diffs.rows(List.of(before), List.of(after))).isInstanceOf(CountingEquals.Exhausted.class);
    }

    @Test
    void numbersAndWordsAreTokensWholeAndEntitiesStayWhole() {
        assertThat(Diffs.tokens("&quot;a-b&quot;: -2e5, x")).containsExactly("&quot;", "a-b", "&quot;", ":", " ", "-2e5", ",", " ", "x");
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        UiFormat format = new UiFormat();
        assertThat(format.duration("PT1H")).isEqualTo("1h");
        assertThat(format.duration("PT1H30M")).isEqualTo("1h 30m");
        assertThat(format.duration("PT0.5S")).isEqualTo("500ms");
        assertThat(format.duration("P1D")).isEqualTo("1d");
        assertThat(format.duration("not a duration")).isEqualTo("not a duration");
    }
}
