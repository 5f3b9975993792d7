package io.pollster.paging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What a run may make Pollster keep: items per page and follows per run are capped, and the run says so. */
class RunStorageTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @DynamicPropertySource
    static void caps(DynamicPropertyRegistry registry) {
        registry.add("pollster.pages.max-items-per-page", () -> "50");
        registry.add("pollster.pages.max-follows-per-run", () -> "5");
    }

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    /** {@code total} items, {@code size} per page, as {@code ?page=N&limit=S} with a count. */
    private static Answer counted(Map<String, String> query, int total, String extra) {
        int page = Integer.parseInt(query.getOrDefault("page", "1"));
        int size = Integer.parseInt(query.getOrDefault("limit", "10"));
        List<String> rows = new ArrayList<>();
        for (int i = (page - 1) * size; i < Math.min(total, page * size); i++) {
            rows.add("{\"id\":%d,\"name\":\"item-%d\"%s}".formatted(i, i, extra.formatted(i)));
        }
        return Answer.json("{\"count\":%d,\"results\":[%s]}".formatted(total, String.join(",", rows)));
    }

    @Test
    void aPageWithMoreItemsThanTheCapStoresTheCapAndTheRunSaysSo() {
        upstream.routeQuery("/many", q -> counted(q, 160, ""));
        String id = job("""
                {"url":"%s","interval":"1h",
                 "pagination":{"type":"page","sizeParam":"limit","size":80,"totalPath":"$.count"},
                 "items":{"path":"$.results[*]","key":"$.id"}}
                """.formatted(upstream.url("/many")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        assertThat(run.get("items").get("created").asInt()).as("50 of each page's 80").isEqualTo(100);
        assertThat(run.get("note").asString()).contains("page 1 held 80 items").contains("max-items-per-page (50)")
                .contains("not stored");
        assertThat(alice.get("/api/v1/jobs/" + id + "/items/49").status()).isEqualTo(200);
        assertThat(alice.get("/api/v1/jobs/" + id + "/items/50").status()).isEqualTo(404);
    }

    @Test
    void aRunPlansNoMoreDetailFetchesThanTheCapAndSaysSo() {
        upstream.routeQuery("/catalog", q -> counted(q, 20, ",\"url\":\"/detail/%d\""));
        for (int i = 0; i < 20; i++) {
            int item = i;
            upstream.route("/detail/" + i, n -> Answer.json("{\"id\":%d,\"detail\":true}".formatted(item)));
        }
        String id = job("""
                {"url":"%s","interval":"1h",
                 "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count"},
                 "items":{"path":"$.results[*]","key":"$.id","follow":"$.url"}}
                """.formatted(upstream.url("/catalog")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        int details = 0;
        for (int i = 0; i < 20; i++) {
            details += upstream.requests("/detail/" + i).size();
        }
        assertThat(details).isEqualTo(5);
        assertThat(run.get("items").get("created").asInt()).isEqualTo(20);
        assertThat(run.get("note").asString()).contains("max-follows-per-run (5)");
    }

    private JsonNode finishedRun(String id) {
        await("a finished run").atMost(WAIT).until(() -> {
            List<JsonNode> runs = runs(id);
            return !runs.isEmpty() && !runs.get(0).get("status").asString().equals("running");
        });
        return runs(id).get(0);
    }

    private List<JsonNode> runs(String id) {
        return alice.get("/api/v1/jobs/" + id + "/runs").json().get("items").valueStream().toList();
    }

    private String job(String body) {
        Api.Response created = alice.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }
}
