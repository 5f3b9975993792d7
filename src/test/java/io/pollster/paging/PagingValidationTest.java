package io.pollster.paging;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** Pagination, items and rate limits are checked when a job is saved: a clear 400 naming the field, and nothing saved. */
class PagingValidationTest extends IntegrationTest {

    @Autowired
    private JdbcClient jdbc;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @Test
    void badSettingsAre400sNamingTheField() {
        refused("\"pagination\":{\"type\":\"pages\"}", "pagination.type");
        refused("\"pagination\":{\"type\":\"page\",\"size\":0}", "pagination.size");
        refused("\"pagination\":{\"type\":\"page\",\"size\":10001}", "pagination.size");
        refused("\"pagination\":{\"type\":\"page\",\"maxPages\":1000001}", "pagination.maxPages");
        refused("\"pagination\":{\"type\":\"page\",\"parallelism\":65}", "pagination.parallelism");
        refused("\"pagination\":{\"type\":\"page\",\"totalPath\":\"$.count[\"}", "pagination.totalPath");
        refused("\"pagination\":{\"type\":\"page\",\"totalPath\":\"count\"}", "pagination.totalPath");
        refused("\"pagination\":{\"type\":\"page\",\"cursorPath\":\"$.next\"}", "pagination.cursorPath");
        refused("\"pagination\":{\"type\":\"link\",\"bogus\":1}", "pagination.bogus");
        refused("\"pagination\":{\"type\":\"cursor\"}", "pagination");
        refused("\"pagination\":{\"type\":\"cursor\",\"cursorPath\":\"$.c\",\"nextUrlPath\":\"$.n\"}", "pagination");
        refused("\"pagination\":{\"type\":\"page\",\"totalIs\":\"pages\"}", "pagination.totalIs");
        refused("\"pagination\":{\"type\":\"page\",\"param\":\"a b\"}", "pagination.param");
        refused("\"pagination\":7", "pagination");
        refused("\"items\":{\"path\":\"$.results[*]\"}", "items.key");
        refused("\"items\":{\"path\":\"$.results[?(@.a =~ /x/)]\",\"key\":\"$.id\"}", "items.path");
        refused("\"items\":{\"path\":\"$.r[*]\",\"key\":\"$.id\",\"follow\":\"$.url\"}", "items.follow");
        refused("\"items\":{\"path\":\"$.r[*]\",\"key\":\"$.id\",\"extra\":true}", "items.extra");
        refused("\"rateLimit\":{\"limit\":0}", "rateLimit.limit");
        refused("\"rateLimit\":{\"limit\":5,\"per\":\"2h\"}", "rateLimit.per");
        refused("\"rateLimit\":{\"per\":\"1s\"}", "rateLimit.limit");
        assertThat(jdbc.sql("SELECT count(*) FROM jobs").query(Integer.class).single()).isZero();
    }

    @Test
    void goodSettingsAreSavedWithTheirDefaults() {
        Api.Response created = alice.post("/api/v1/jobs", """
                {"url":"https://api.example.com/items","interval":"1h",
                 "pagination":{"type":"offset","totalPath":"$.total"},
                 "items":{"path":"$.results[*]","key":"$.id","follow":"$.url"},
                 "rateLimit":{"limit":5}}
                """);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode job = created.json();
        assertThat(job.get("pagination").get("param").asString()).isEqualTo("offset");
        assertThat(job.get("pagination").get("sizeParam").asString()).isEqualTo("limit");
        assertThat(job.get("pagination").get("size").asInt()).isEqualTo(100);
        assertThat(job.get("pagination").get("totalIs").asString()).isEqualTo("items");
        assertThat(job.get("pagination").get("maxPages").asInt()).isEqualTo(10_000);
        assertThat(job.get("pagination").get("parallelism").asInt()).isEqualTo(8);
        assertThat(job.get("items").get("follow").asString()).isEqualTo("$.url");
        assertThat(job.get("rateLimit").get("per").asString()).isEqualTo("PT1S");

        String id = job.get("id").asString();
        Api.Response cleared = alice.patch("/api/v1/jobs/" + id, "{\"pagination\":null,\"items\":null}");
        assertThat(cleared.status()).as(cleared.toString()).isEqualTo(200);
        assertThat(cleared.json().get("pagination").isNull()).isTrue();
    }

    private void refused(String field, String named) {
        Api.Response answer = alice.post("/api/v1/jobs", "{\"url\":\"https://api.example.com/x\",\"interval\":\"1h\"," + field + "}");
        assertThat(answer.status()).as(field + " → " + answer).isEqualTo(400);
        assertThat(answer.body()).as(field).contains("\"" + named + "\"");
    }
}
