package io.pollster.ui;

import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the job form sends the API: blanks left to the defaults on create, cleared on edit; unreadable fields said per field. */
class JobFormTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void aNewJobSendsOnlyWhatIsFilledIn() {
        ObjectNode request = JobForm.from(Map.of("url", " https://example.com/a ", "interval", "5m", "headers", "Accept: application/json\n\n",
                "body", "{\"q\":1}", "ignorePaths", "$.a\n $.b \n", "more", "{\"cache\":{\"ttl\":\"1m\"}}", "active", "on"))
                .request(null, json);
        assertThat(request.toString()).isEqualTo("""
                {"url":"https://example.com/a","method":"GET","interval":"5m","headers":{"Accept":"application/json"},\
                "body":{"q":1},"cache":{"ttl":"1m"},"dedup":{"ignorePaths":["$.a","$.b"]},"active":true}""");
    }

    @Test
    void aBodyThatIsNotJsonIsSentAsText() {
        ObjectNode request = JobForm.from(Map.of("url", "https://example.com", "method", "POST", "body", "a=1&b=2")).request(null, json);
        assertThat(request.get("body").asString()).isEqualTo("a=1&b=2");
        assertThat(request.get("active").asBoolean()).isFalse();
    }

    @Test
    void anEditClearsWhatTheFormEmptiedAndKeepsMaskedSecrets() {
        JsonNode existing = json.readTree("""
                {"id":"x","name":"old","url":"https://example.com","method":"GET","interval":"PT5M","timeout":"PT10S",
                 "secretHeaders":{"Authorization":"***"},"cache":{"ttl":"PT1M","waitTimeout":"PT10S"},"jitter":"PT1S",
                 "dedup":{"mode":"json","ignorePaths":["$.a"]},"status":"active","stats":{"polls":1}}""");
        JobForm form = JobForm.of(existing, json);
        assertThat(form.getInterval()).isEqualTo("PT5M");
        assertThat(form.getIgnorePaths()).isEqualTo("$.a\n");
        assertThat(json.readTree(form.getMore()).toString())
                .isEqualTo("{\"secretHeaders\":{\"Authorization\":\"***\"},\"cache\":{\"ttl\":\"PT1M\",\"waitTimeout\":\"PT10S\"},\"jitter\":\"PT1S\",\"dedup\":{\"mode\":\"json\"}}");

        ObjectNode edited = JobForm.from(Map.of("name", "new", "url", "https://example.com", "interval", "10m", "ignorePaths", "",
                "more", "{\"secretHeaders\":{\"Authorization\":\"***\"},\"cache\":{\"ttl\":\"PT1M\"}}")).request(existing, json);
        assertThat(edited.toString()).as("a merge patch from the job to the form").isEqualTo("""
                {"timeout":null,"jitter":null,"dedup":null,"name":"new","interval":"10m","cache":{"waitTimeout":null}}""");
    }

    @Test
    void anEditRemovesWhatWasTakenOutAtAnyDepth() {
        JsonNode existing = json.readTree("""
                {"url":"https://example.com","method":"GET","interval":"PT5M","headers":{"A":"1","B":"2"},
                 "secretHeaders":{"X-Key":"***","X-Other":"***"},"body":{"q":{"a":1,"b":2}},"status":"stopped"}""");
        JobForm form = JobForm.of(existing, json);
        form.headers = "A: 1\n";
        form.body = "{\"q\":{\"a\":1}}";
        form.more = "{\"secretHeaders\":{\"X-Key\":\"***\"}}";
        assertThat(form.request(existing, json).toString()).isEqualTo("""
                {"headers":{"B":null},"body":{"q":{"b":null}},"secretHeaders":{"X-Other":null}}""");
        assertThat(JobForm.of(existing, json).request(existing, json).isEmpty()).as("an untouched form changes nothing").isTrue();
    }

    @Test
    void unreadableFieldsAreNamedBeforeAnythingIsSent() {
        assertThatThrownBy(() -> JobForm.from(Map.of("url", "https://example.com", "headers", "no colon here",
                "more", "[1,2]")).request(null, json))
                .isInstanceOfSatisfying(JobForm.Invalid.class, invalid -> assertThat(invalid.errors)
                        .containsEntry("headers", "line 1 is not 'Name: value'")
                        .containsEntry("more", "must be one JSON object, such as {\"cache\": {\"ttl\": \"1m\"}}"));
        assertThatThrownBy(() -> JobForm.from(Map.of("url", "https://example.com", "more", "{\"url\":\"https://other\"}")).request(null, json))
                .isInstanceOfSatisfying(JobForm.Invalid.class, invalid -> assertThat(invalid.errors.get("more")).contains("'url'"));
        assertThatThrownBy(() -> JobForm.from(Map.of("url", "https://example.com", "more", "{oops")).request(null, json))
                .isInstanceOfSatisfying(JobForm.Invalid.class, invalid -> assertThat(invalid.errors.get("more")).startsWith("is not valid JSON"));
    }
}
