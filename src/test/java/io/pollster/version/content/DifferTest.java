package io.pollster.version.content;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.flipkart.zjsonpatch.JsonPatch;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

class DifferTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Differ differ = new Differ();

    private Diff diff(String older, String newer, String contentType) {
        return differ.diff(older.getBytes(UTF_8), newer.getBytes(UTF_8), contentType);
    }

    private static JsonNode tree(String json) throws Exception {
        return MAPPER.readTree(json);
    }

    @Nested
    class Json {

        private JsonNode patchOf(String older, String newer) throws Exception {
            Diff diff = diff(older, newer, "application/json");
            assertThat(diff).isInstanceOf(Diff.JsonPatch.class);
            assertThat(diff.format()).isEqualTo("json-patch");
            JsonNode patch = tree(((Diff.JsonPatch) diff).patch());
            assertThat(JsonPatch.apply(patch, tree(older))).isEqualTo(tree(newer));
            return patch;
        }

        @Test
        void aChangedFieldIsAReplace() throws Exception {
            JsonNode patch = patchOf("{\"price\":10,\"name\":\"x\"}", "{\"price\":12,\"name\":\"x\"}");

            assertThat(patch).isEqualTo(tree("[{\"op\":\"replace\",\"path\":\"/price\",\"fromValue\":10,\"value\":12}]"));
        }

        @Test
        void anAddedFieldIsAnAdd() throws Exception {
            JsonNode patch = patchOf("{\"a\":1}", "{\"a\":1,\"b\":{\"c\":[true]}}");

            assertThat(patch).isEqualTo(tree("[{\"op\":\"add\",\"path\":\"/b\",\"value\":{\"c\":[true]}}]"));
        }

        @Test
        void aRemovedFieldIsARemove() throws Exception {
            JsonNode patch = patchOf("{\"a\":1,\"gone\":\"x\"}", "{\"a\":1}");

            assertThat(patch).isEqualTo(tree("[{\"op\":\"remove\",\"path\":\"/gone\",\"value\":\"x\"}]"));
        }

        @Test
        void arrayElementsThatAreAddedChangedOrRemovedArePatchedByIndex() throws Exception {
            patchOf("{\"items\":[{\"id\":1},{\"id\":2}]}", "{\"items\":[{\"id\":1},{\"id\":2},{\"id\":3}]}");
            patchOf("{\"items\":[{\"id\":1,\"p\":1},{\"id\":2}]}", "{\"items\":[{\"id\":1,\"p\":2},{\"id\":2}]}");
            JsonNode removed = patchOf("{\"items\":[\"a\",\"b\",\"c\"]}", "{\"items\":[\"a\",\"c\"]}");

            assertThat(removed).isEqualTo(tree("[{\"op\":\"remove\",\"path\":\"/items/1\",\"value\":\"b\"}]"));
        }

        @Test
        void aPatchApplyingManyChangesAtOnceStillLeadsToTheNewerDocument() throws Exception {
            patchOf("{\"a\":[1,2,3,4,5],\"b\":{\"x\":1,\"y\":[{\"k\":1}]},\"c\":\"s\",\"key/with~odd\":1}",
                    "{\"a\":[5,1,3,6],\"b\":{\"y\":[{\"k\":2},{\"k\":1}],\"z\":null},\"d\":[],\"key/with~odd\":2}");
        }

        @Test
        void aMovedArrayElementIsARemoveAndAnAddSoThePatchStaysSimple() throws Exception {
            JsonNode patch = patchOf("[\"a\",\"b\",\"c\"]", "[\"c\",\"a\",\"b\"]");

            assertThat(patch).extracting(op -> op.get("op").asText()).containsOnly("add", "remove");
        }

        @Test
        void manyRenamedKeysAreDiffedWithoutPairingEveryRemoveWithEveryAdd() throws Exception {
            StringBuilder older = new StringBuilder("{");
            StringBuilder newer = new StringBuilder("{");
            for (int i = 0; i < 60_000; i++) {
                older.append(i == 0 ? "" : ",").append("\"a").append(i).append("\":").append(i);
                newer.append(i == 0 ? "" : ",").append("\"b").append(i).append("\":").append(i);
            }

            JsonNode patch = patchOf(older.append('}').toString(), newer.append('}').toString());

            assertThat(patch).hasSize(120_000);
        }

        @Test
        void equalDocumentsGiveAnEmptyPatchWhateverTheirSpelling() {
            Diff diff = diff("{\"a\": 1.50, \"b\": [1]}", "{\"b\":[1],\"a\":1.5}", "application/json");

            assertThat(diff).isEqualTo(new Diff.JsonPatch("[]"));
        }

        @Test
        void jsonIsRecognisedByContentNotContentType() {
            assertThat(diff("{\"a\":1}", "{\"a\":2}", "text/plain")).isInstanceOf(Diff.JsonPatch.class);
            assertThat(diff("[1]", "[2]", null)).isInstanceOf(Diff.JsonPatch.class);
        }

        @Test
        void arraysTooLongToMatchElementByElementAreDiffedAsSortedIndentedText() {
            StringBuilder older = new StringBuilder("{\"list\":[");
            StringBuilder newer = new StringBuilder("{\"list\":[");
            for (int i = 0; i < 2_100; i++) {
                older.append(i == 0 ? "" : ",").append(i);
                newer.append(i == 0 ? "" : ",").append(i == 1_000 ? -1 : i);
            }
            Diff diff = diff(older.append("],\"z\":1}").toString(), newer.append("],\"a\":0,\"z\":1}").toString(), "application/json");

            assertThat(diff).isInstanceOf(Diff.Unified.class);
            assertThat(((Diff.Unified) diff).diff()).contains("-    1000,", "+    -1,", "+  \"a\" : 0,");
        }
    }

    @Nested
    class Text {

        @Test
        void changedLinesAppearAsMinusAndPlusWithThreeLinesOfContext() {
            String older = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n";
            String newer = "one\ntwo\nthree\nfour\nFIVE\nsix\nseven\neight\nnine\n";

            Diff diff = diff(older, newer, "text/plain");

            assertThat(diff.format()).isEqualTo("unified");
            assertThat(((Diff.Unified) diff).diff()).isEqualTo("""
                    --- previous
                    +++ current
                    @@ -2,7 +2,8 @@
                     two
                     three
                     four
                    -five
                    +FIVE
                     six
                     seven
                     eight
                    +nine
                    """);
        }

        @Test
        void crlfLinesAreDiffedAsLines() {
            Diff diff = diff("a\r\nb\r\n", "a\r\nc\r\n", "text/plain");

            assertThat(((Diff.Unified) diff).diff()).contains("-b\n+c\n").doesNotContain("\r");
        }

        @Test
        void equalTextGivesAnEmptyDiff() {
            assertThat(diff("same\n", "same\n", "text/plain")).isEqualTo(new Diff.Unified(""));
            assertThat(diff("", "", "text/plain")).isEqualTo(new Diff.Unified(""));
        }

        @Test
        void aDifferenceALineDiffCannotShowIsStillReported() {
            Diff diff = diff("a\nb", "a\nb\n", "text/plain");

            assertThat(((Diff.Unified) diff).diff()).startsWith("Bodies differ only in what a line diff does not show");
        }

        @Test
        void theCharsetOfTheContentTypeDecodesBothBodies() {
            java.nio.charset.Charset latin1 = java.nio.charset.StandardCharsets.ISO_8859_1;

            Diff diff = differ.diff("café\n".getBytes(latin1), "crème\n".getBytes(latin1), "text/plain; charset=ISO-8859-1");

            assertThat(((Diff.Unified) diff).diff()).contains("-café\n+crème\n");
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "{\"a\":1}|not json",
                "not json|{\"a\":1}",
                "{\"a\":1}|{\"a\":",
                "''|{\"a\":1}"})
        void jsonOnOnlyOneSideFallsBackToAUnifiedDiff(String older, String newer) {
            Diff diff = diff(older, newer, "application/json");

            assertThat(diff).isInstanceOf(Diff.Unified.class);
            assertThat(((Diff.Unified) diff).diff()).startsWith("--- previous\n+++ current\n").contains("+" + newer);
        }

        @Test
        void bodiesAboveTheLimitAreReportedAsTooLargeToDiff() {
            byte[] big = new byte[Differ.MAX_INPUT_BYTES + 1];
            byte[] other = big.clone();
            other[0] = 1;

            Diff diff = differ.diff(big, other, "text/plain");

            assertThat(((Diff.Unified) diff).diff()).startsWith("Bodies differ but are too large to diff");
            assertThat(differ.diff(big, big.clone(), "text/plain")).isEqualTo(new Diff.Unified(""));
        }

        @Test
        void whollyDifferentLargeTextsAreReportedInsteadOfDiffedForMinutes() {
            StringBuilder older = new StringBuilder();
            StringBuilder newer = new StringBuilder();
            for (int i = 0; i < 50_000; i++) {
                older.append("old line ").append(i).append('\n');
                newer.append("new line ").append(i).append('\n');
            }

            Diff diff = diff(older.toString(), newer.toString(), "text/plain");

            assertThat(((Diff.Unified) diff).diff()).isEqualTo("Bodies differ in too many places to show a line diff.\n");
        }

        @Test
        void aSmallChangeInALargeTextIsStillDiffed() {
            StringBuilder older = new StringBuilder();
            for (int i = 0; i < 90_000; i++) {
                older.append("line ").append(i).append('\n');
            }
            String newer = older.toString().replace("line 45000\n", "changed\n");

            Diff diff = diff(older.toString(), newer, "text/plain");

            assertThat(((Diff.Unified) diff).diff()).contains("-line 45000\n+changed\n");
        }

        @Test
        void binaryBodiesAreDiffedAsDecodedText() {
            Diff diff = differ.diff(new byte[] {0, 1, (byte) 0xFF, '\n'}, new byte[] {0, 2, (byte) 0xFF, '\n'}, "image/png");

            assertThat(diff).isInstanceOf(Diff.Unified.class);
            assertThat(((Diff.Unified) diff).diff()).startsWith("--- previous\n+++ current\n");
        }
    }
}
