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

    @Test
    void aPaginatedRunOf250ItemsRaisesItsOwnersStoredBytesAndDetailsCountToo() {
        upstream.routeQuery("/stored", q -> counted(q, 250, ",\"url\":\"/about/%d\""));
        for (int i = 0; i < 20; i++) {
            upstream.route("/about/" + i, n -> Answer.json("{\"detail\":\"" + "d".repeat(1000) + "\"}"));
        }
        assertThat(storedBytes(alice)).isZero();
        String id = job("""
                {"url":"%s","interval":"1h",
                 "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count"},
                 "items":{"path":"$.results[*]","key":"$.id","follow":"$.url"}}
                """.formatted(upstream.url("/stored")));

        assertThat(finishedRun(id).get("status").asString()).isEqualTo("succeeded");
        // 250 items of about 40 bytes, 5 of them (the follow cap) replaced by a detail of about 1,000
        assertThat(storedBytes(alice)).isBetween(250L * 30 + 5 * 950, 250L * 60 + 5 * 1100);

        Api.Response deleted = alice.delete("/api/v1/jobs/" + id);
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(storedBytes(alice)).as("a deleted job's items stop counting").isZero();
    }

    @Test
    void aUserAtTheStorageQuotaGetsNoMoreItemsStoredAndTheRunSaysWhy() {
        String bobToken = createUser("bob");
        String bobId = api().as(bobToken).get("/api/v1/me").json().get("id").asString();
        assertThat(admin().patch("/api/v1/users/" + bobId, "{\"quota\":{\"storedBytes\":500}}").status()).isEqualTo(200);
        Api bob = api().as(bobToken);
        upstream.routeQuery("/full", q -> counted(q, 100, ""));
        Api.Response created = bob.post("/api/v1/jobs", """
                {"url":"%s","interval":"1h",
                 "pagination":{"type":"page","sizeParam":"limit","size":20,"totalPath":"$.count"},
                 "items":{"path":"$.results[*]","key":"$.id"}}
                """.formatted(upstream.url("/full")));
        String id = created.json().get("id").asString();

        await("a finished run").atMost(WAIT).until(() -> {
            JsonNode runs = bob.get("/api/v1/jobs/" + id + "/runs").json().get("items");
            return !runs.isEmpty() && !runs.get(0).get("status").asString().equals("running");
        });
        JsonNode run = bob.get("/api/v1/jobs/" + id + "/runs").json().get("items").get(0);
        assertThat(run.get("status").asString()).isEqualTo("failed");
        assertThat(run.get("error").asString()).contains("storage quota is used up");
        assertThat(run.get("items").get("created").asInt()).as("the first page, stored before the quota was reached")
                .isEqualTo(20);
        assertThat(storedBytes(bob)).as("over by one page at most").isLessThan(500 + 20 * 60);
    }

    private static long storedBytes(Api user) {
        return user.get("/api/v1/me").json().get("usage").get("storedBytes").asLong();
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
