package io.pollster.dedup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import io.pollster.system.web.InvalidField;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class DedupSpecTest {

    private static DedupSpec json(String... paths) {
        return new DedupSpec(DedupMode.JSON, Arrays.asList(paths), List.of());
    }

    private static DedupSpec text(String... patterns) {
        return new DedupSpec(DedupMode.TEXT, List.of(), Arrays.asList(patterns));
    }

    @Test
    void theDefaultSpecIsValidAndChoosesTheModeByContentType() {
        assertThat(DedupSpec.DEFAULT.validate("dedup")).isEmpty();
        assertThat(DedupSpec.DEFAULT.mode()).isNull();
        assertThat(DedupSpec.DEFAULT.ignorePaths()).isEmpty();
        assertThat(DedupSpec.DEFAULT.ignorePatterns()).isEmpty();
    }

    @Test
    void missingListsBecomeEmptyAndTheListsCannotBeChangedAfterwards() {
        List<String> paths = new ArrayList<>(List.of("$.a"));
        DedupSpec spec = new DedupSpec(DedupMode.JSON, paths, null);
        paths.add("$.b");

        assertThat(spec.ignorePaths()).containsExactly("$.a");
        assertThat(spec.ignorePatterns()).isEmpty();
        assertThat(spec).isEqualTo(new DedupSpec(DedupMode.JSON, List.of("$.a"), List.of()));
    }

    @Test
    void goodPathsAndPatternsAreValid() {
        assertThat(json("$.serverTime", "$.items[*].updatedAt", "$..etag", "$['odd key']", "$.a[0,2]",
                "$.items[?(@.price > 10)].seen").validate("dedup")).isEmpty();
        assertThat(new DedupSpec(null, List.of("$.serverTime"), List.of()).validate("dedup")).isEmpty();
        assertThat(text("\\d{4}-\\d{2}-\\d{2}", "(?m)^Generated .*$").validate("dedup")).isEmpty();
    }

    @Test
    void pathsWhoseCostHasNoBoundAreRefused() {
        List<InvalidField> errors = json("$[?(@.s =~ /^(.*a){25}$/)]", "$..items[?(@..id)]", "$..a..b",
                "$['=~'].x", "$['a..b']", "$..ok").validate("dedup");

        assertThat(errors).extracting(InvalidField::field)
                .containsExactly("dedup.ignorePaths[0]", "dedup.ignorePaths[1]", "dedup.ignorePaths[2]");
        assertThat(errors.get(0).message()).contains("regular-expression filter (=~)", "ignorePatterns");
        assertThat(errors.get(1).message()).contains("inside a filter");
        assertThat(errors.get(2).message()).contains("once, not 2 times");
    }

    @Test
    void aBadJsonPathIsReportedAtItsIndexWithTheReason() {
        List<InvalidField> errors = json("$.ok", "$.[", "serverTime", "$.a[?(@.x ==]").validate("dedup");

        assertThat(errors).extracting(InvalidField::field)
                .containsExactly("dedup.ignorePaths[1]", "dedup.ignorePaths[2]", "dedup.ignorePaths[3]");
        assertThat(errors).allSatisfy(error -> assertThat(error.message()).startsWith("is not a valid JSONPath: "));
        assertThat(errors.get(1).message()).contains("must start with $");
    }

    @Test
    void anUnclosedBracketIsRefusedThoughJsonPathWouldReadItAsTheParent() {
        assertThat(json("$.items[", "$['a", "$.a[?(@.x > 1]", "$.a]").validate("dedup"))
                .extracting(InvalidField::field)
                .containsExactly("dedup.ignorePaths[0]", "dedup.ignorePaths[1]", "dedup.ignorePaths[2]", "dedup.ignorePaths[3]");
        assertThat(json("$['a]b']", "$[\"x(\"]").validate("dedup")).isEmpty();
    }

    @Test
    void aPathEndingInAFunctionIsRefusedBecauseDeletingItWouldDeleteItsInput() {
        assertThat(json("$.items.length()").validate("dedup"))
                .extracting(InvalidField::field, InvalidField::message)
                .containsExactly(tuple("dedup.ignorePaths[0]", "must select values to delete, not end in a function such as length()"));
    }

    @Test
    void aPathThatSelectsTheWholeDocumentIsRefused() {
        assertThat(json("$").validate("dedup"))
                .extracting(InvalidField::field, InvalidField::message)
                .containsExactly(tuple("dedup.ignorePaths[0]", "must select part of the document, not the whole of it"));
    }

    @Test
    void aBadRegexIsReportedAtItsIndex() {
        List<InvalidField> errors = text("ok", "(unclosed", "[z-a]").validate("dedup");

        assertThat(errors).extracting(InvalidField::field)
                .containsExactly("dedup.ignorePatterns[1]", "dedup.ignorePatterns[2]");
        assertThat(errors).allSatisfy(error -> assertThat(error.message()).startsWith("is not a valid regular expression"));
    }

    @Test
    void blankAndNullEntriesAreReportedAtTheirIndex() {
        List<InvalidField> errors = json("$.a", "", null, "  ").validate("dedup");

        assertThat(errors).extracting(InvalidField::field, InvalidField::message).containsExactly(
                tuple("dedup.ignorePaths[1]", "must not be blank"),
                tuple("dedup.ignorePaths[2]", "must not be blank"),
                tuple("dedup.ignorePaths[3]", "must not be blank"));
    }

    @Test
    void atMostFiftyEntriesAreAllowed() {
        DedupSpec fifty = new DedupSpec(DedupMode.JSON, Collections.nCopies(50, "$.a"), List.of());
        DedupSpec fiftyOne = new DedupSpec(DedupMode.JSON, Collections.nCopies(51, "$.a"), List.of());
        DedupSpec tooManyPatterns = new DedupSpec(DedupMode.TEXT, List.of(), Collections.nCopies(51, "x"));

        assertThat(fifty.validate("dedup")).isEmpty();
        assertThat(fiftyOne.validate("dedup")).extracting(InvalidField::field, InvalidField::message)
                .containsExactly(tuple("dedup.ignorePaths", "must have at most 50 entries, has 51"));
        assertThat(tooManyPatterns.validate("dedup")).extracting(InvalidField::field)
                .containsExactly("dedup.ignorePatterns");
    }

    @Test
    void anEntryOfAtMostFiveHundredCharactersIsAllowed() {
        String longest = "$." + "a".repeat(498);
        String tooLong = "$." + "a".repeat(499);

        assertThat(json(longest).validate("dedup")).isEmpty();
        assertThat(json(longest, tooLong).validate("dedup")).extracting(InvalidField::field, InvalidField::message)
                .containsExactly(tuple("dedup.ignorePaths[1]", "must be at most 500 characters, has 501"));
        assertThat(text("x".repeat(501)).validate("dedup")).extracting(InvalidField::field)
                .containsExactly("dedup.ignorePatterns[0]");
    }

    @Test
    void ignorePathsApplyOnlyToJsonMode() {
        assertThat(new DedupSpec(DedupMode.TEXT, List.of("$.a"), List.of()).validate("dedup"))
                .extracting(InvalidField::field, InvalidField::message)
                .containsExactly(tuple("dedup.ignorePaths", "applies only to json mode, but mode is text"));
        assertThat(new DedupSpec(DedupMode.EXACT, List.of("$.a"), List.of()).validate("dedup"))
                .extracting(InvalidField::field).containsExactly("dedup.ignorePaths");
    }

    @Test
    void ignorePatternsApplyOnlyToTextMode() {
        assertThat(new DedupSpec(DedupMode.JSON, List.of(), List.of("x")).validate("dedup"))
                .extracting(InvalidField::field, InvalidField::message)
                .containsExactly(tuple("dedup.ignorePatterns", "applies only to text mode, but mode is json"));
        assertThat(new DedupSpec(null, List.of(), List.of("x")).validate("dedup"))
                .extracting(InvalidField::field).containsExactly("dedup.ignorePatterns");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        DedupSpec spec = new DedupSpec(DedupMode.TEXT, List.of("$.["), List.of("(", "ok", "["));

        assertThat(spec.validate("job.dedup")).extracting(InvalidField::field).containsExactly(
                "job.dedup.ignorePaths", "job.dedup.ignorePaths[0]", "job.dedup.ignorePatterns[0]", "job.dedup.ignorePatterns[2]");
    }

    @Test
    void withoutAPrefixFieldsAreNamedFromTheSpecItself() {
        assertThat(json("$.[").validate(null)).extracting(InvalidField::field).containsExactly("ignorePaths[0]");
        assertThat(json("$.[").validate("")).extracting(InvalidField::field).containsExactly("ignorePaths[0]");
    }

    @Test
    void modesHaveLowerCaseWireNames() {
        assertThat(DedupMode.JSON.wireName()).isEqualTo("json");
        assertThat(DedupMode.fromWireName("Text")).isEqualTo(DedupMode.TEXT);
        assertThat(DedupMode.fromWireName("exact")).isEqualTo(DedupMode.EXACT);
    }

    @Test
    void modesAreWrittenAndReadByJacksonByTheirWireNames() throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();

        assertThat(mapper.writeValueAsString(DedupMode.TEXT)).isEqualTo("\"text\"");
        assertThat(mapper.readValue("\"json\"", DedupMode.class)).isEqualTo(DedupMode.JSON);
        assertThat(mapper.readValue("{\"mode\":\"exact\",\"ignorePaths\":[\"$.a\"]}", DedupSpec.class))
                .isEqualTo(new DedupSpec(DedupMode.EXACT, List.of("$.a"), List.of()));
    }

    @Test
    void theWebLayersJackson3ReadsAndWritesTheSameNames() {
        var mapper = tools.jackson.databind.json.JsonMapper.builder().build();

        assertThat(mapper.writeValueAsString(new DedupSpec(DedupMode.JSON, List.of("$.t"), List.of())))
                .isEqualTo("{\"mode\":\"json\",\"ignorePaths\":[\"$.t\"],\"ignorePatterns\":[]}");
        assertThat(mapper.readValue("{\"mode\":\"text\",\"ignorePatterns\":[\"x\"]}", DedupSpec.class))
                .isEqualTo(new DedupSpec(DedupMode.TEXT, List.of(), List.of("x")));
    }
}
