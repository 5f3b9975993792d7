package io.pollster.job;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.support.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

class JobApiTest extends IntegrationTest {

    private static final String MINIMAL = "{\"url\":\"https://api.example.com/x\",\"interval\":\"30s\"}";

    @org.springframework.beans.factory.annotation.Autowired
    private org.springframework.jdbc.core.simple.JdbcClient jdbc;

    private Api alice;
    private Api bob;

    @BeforeEach
    void users() {
        alice = api().as(createUser("alice"));
        bob = api().as(createUser("bob"));
    }

    @Test
    void aMinimalJobGetsDefaultsAndFiresAtOnce() {
        Instant before = Instant.now();
        Api.Response created = alice.post("/api/v1/jobs", MINIMAL);

        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode job = created.json();
        assertThat(created.header("Location")).isEqualTo("/api/v1/jobs/" + job.get("id").asString());
        assertThat(job.get("url").asString()).isEqualTo("https://api.example.com/x");
        assertThat(job.get("method").asString()).isEqualTo("GET");
        assertThat(job.get("interval").asString()).isEqualTo("PT30S");
        assertThat(job.get("timeout").asString()).isEqualTo("PT10S");
        assertThat(job.get("retry").get("maxAttempts").asInt()).isEqualTo(3);
        assertThat(job.get("status").asString()).isEqualTo("active");
        assertThat(job.get("active").asBoolean()).isTrue();
        assertThat(job.get("stats").get("polls").asLong()).isZero();
        assertThat(Instant.parse(job.get("nextRunAt").asString())).isBetween(before.minusSeconds(1), Instant.now());
        assertThat(job.get("lastRunAt").isNull()).isTrue();
    }

    @Test
    void theFullBodyIsKeptAndSecretsAreMaskedAndEncrypted() throws Exception {
        String body = """
                {"name":"btc-ticker","url":"https://api.example.com/ticker?pair=BTCUSD","method":"post",
                 "headers":{"Accept":"application/json"},"secretHeaders":{"Authorization":"Bearer abc-secret"},
                 "body":{"q":1},"interval":"PT1M","jitter":"2s","timeout":"5s",
                 "retry":{"maxAttempts":5,"backoff":"500ms","maxBackoff":"30s"},
                 "dedup":{"mode":"json","ignorePaths":["$.serverTime"]},"pagination":null,"items":null,
                 "cache":null,"adaptive":{"min":"10s","max":"10m"},"rateLimit":null,"outputs":[],"active":true}
                """;
        Api.Response created = alice.post("/api/v1/jobs", body);

        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        JsonNode job = created.json();
        assertThat(job.get("name").asString()).isEqualTo("btc-ticker");
        assertThat(job.get("method").asString()).isEqualTo("POST");
        assertThat(job.get("secretHeaders").get("Authorization").asString()).isEqualTo("***");
        assertThat(job.get("jitter").asString()).isEqualTo("PT2S");
        assertThat(job.get("adaptive").get("min").asString()).isEqualTo("PT10S");
        assertThat(job.get("effectiveInterval").asString()).isEqualTo("PT1M");
        assertThat(job.get("dedup").get("ignorePaths").get(0).asString()).isEqualTo("$.serverTime");
        assertThat(job.get("body").get("q").asInt()).isEqualTo(1);
        assertThat(created.body()).doesNotContain("abc-secret");
        assertThat(alice.get("/api/v1/jobs/" + job.get("id").asString()).body()).doesNotContain("abc-secret");
        try (Connection c = TestDatabase.get().connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT spec::text, secret_headers FROM jobs")) {
            rs.next();
            assertThat(rs.getString(1)).doesNotContain("abc-secret");
            assertThat(new String(rs.getBytes(2), java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("abc-secret");
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no url                | {\"interval\":\"30s\"}                                          | url",
            "relative url          | {\"url\":\"/x\",\"interval\":\"30s\"}                           | url",
            "ftp url               | {\"url\":\"ftp://h/x\",\"interval\":\"30s\"}                    | url",
            "credentials in url    | {\"url\":\"http://u:p@h/x\",\"interval\":\"30s\"}               | url",
            "neither schedule      | {\"url\":\"http://h/x\"}                                        | interval",
            "both schedules        | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"cron\":\"* * * * *\"} | cron",
            "interval too short    | {\"url\":\"http://h/x\",\"interval\":\"500ms\"}                 | interval",
            "interval too long     | {\"url\":\"http://h/x\",\"interval\":\"31d\"}                   | interval",
            "interval not duration | {\"url\":\"http://h/x\",\"interval\":\"soon\"}                  | interval",
            "six-field cron        | {\"url\":\"http://h/x\",\"cron\":\"0 * * * * *\"}               | cron",
            "bad cron              | {\"url\":\"http://h/x\",\"cron\":\"61 * * * *\"}                | cron",
            "bad method            | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"method\":\"TRACE\"} | method",
            "bad header name       | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"headers\":{\"a b\":\"1\"}} | headers.a b",
            "header injection      | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"headers\":{\"X\":\"1\\r\\nEvil: 2\"}} | headers.X",
            "managed header        | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"headers\":{\"Host\":\"x\"}} | headers.Host",
            "body on GET           | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"body\":\"x\"}     | body",
            "jitter over interval  | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"jitter\":\"1m\"}  | jitter",
            "timeout too long      | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"timeout\":\"1h\"} | timeout",
            "zero attempts         | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"retry\":{\"maxAttempts\":0}} | retry.maxAttempts",
            "bad dedup mode        | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"dedup\":{\"mode\":\"xml\"}} | dedup.mode",
            "adaptive min over max | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"adaptive\":{\"min\":\"5m\",\"max\":\"1m\"}} | adaptive",
            "unknown field         | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"intervall\":\"1s\"} | intervall",
            "wrong type            | {\"url\":\"http://h/x\",\"interval\":30}                        | interval",
            "secret mask, no secret| {\"url\":\"http://h/x\",\"interval\":\"30s\",\"secretHeaders\":{\"K\":\"***\"}} | secretHeaders.K",
            "expect header         | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"headers\":{\"Expect\":\"100-continue\"}} | headers.Expect",
            "body on DELETE        | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"method\":\"DELETE\",\"body\":\"x\"} | body",
            "cron never fires      | {\"url\":\"http://h/x\",\"cron\":\"0 0 30 2 *\"}          | cron",
            "pagination type       | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"pagination\":{\"type\":\"next\"}} | pagination.type",
            "port above 65535      | {\"url\":\"http://h:70000/x\",\"interval\":\"30s\"}           | url",
            "port zero             | {\"url\":\"http://h:0/x\",\"interval\":\"30s\"}               | url",
            "loopback literal      | {\"url\":\"http://127.0.0.1/x\",\"interval\":\"30s\"}         | url",
            "localhost             | {\"url\":\"http://localhost:8080/x\",\"interval\":\"30s\"}    | url",
            "metadata address      | {\"url\":\"http://169.254.169.254/latest\",\"interval\":\"30s\"} | url",
            "private IPv6          | {\"url\":\"http://[fd00::1]/x\",\"interval\":\"30s\"}         | url",
            "mapped loopback       | {\"url\":\"http://[::ffff:127.0.0.1]/x\",\"interval\":\"30s\"} | url",
            "odd numeric host      | {\"url\":\"http://2130706433/x\",\"interval\":\"30s\"}        | url",
            "NUL in name           | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"name\":\"a\\u0000b\"} | name",
            "NUL in body           | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"method\":\"POST\",\"body\":{\"k\":\"a\\u0000\"}} | body",
            "NUL in body key       | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"method\":\"POST\",\"body\":{\"a\\u0000\":1}} | body",
            "NUL in ignore path    | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"dedup\":{\"ignorePaths\":[\"$.a\\u0000\"]}} | dedup.ignorePaths[0]",
            "own Accept-Encoding   | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"headers\":{\"Accept-Encoding\":\"br\"}} | headers.Accept-Encoding",
            "regex filter          | {\"url\":\"http://h/x\",\"interval\":\"30s\",\"dedup\":{\"ignorePaths\":[\"$[?(@.a =~ /x/)]\"]}} | dedup.ignorePaths[0]",
    })
    void invalidJobsAre400WithTheFieldNamedAndNothingStored(String caseName, String body, String field) {
        Api.Response answer = alice.post("/api/v1/jobs", body);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.json().get("errors").valueStream().map(e -> e.get("field").asString())).contains(field);
        assertThat(alice.get("/api/v1/jobs").json().get("items")).isEmpty();
    }

    @Test
    void everyWrongFieldIsReportedAtOnce() {
        Api.Response answer = alice.post("/api/v1/jobs", "{\"url\":\"x\",\"method\":\"NOPE\",\"timeout\":\"1h\"}");

        assertThat(answer.json().get("errors").valueStream().map(e -> e.get("field").asString()))
                .contains("url", "method", "timeout", "interval");
    }

    @Test
    void aUserSeesOnlyTheirOwnJobsAndAnotherUsersJobIs404() {
        String id = alice.post("/api/v1/jobs", MINIMAL).json().get("id").asString();

        assertThat(bob.get("/api/v1/jobs").json().get("items")).isEmpty();
        assertThat(bob.get("/api/v1/jobs/" + id).status()).isEqualTo(404);
        assertThat(bob.patch("/api/v1/jobs/" + id, "{\"interval\":\"1m\"}").status()).isEqualTo(404);
        assertThat(bob.post("/api/v1/jobs/" + id + "/stop").status()).isEqualTo(404);
        assertThat(bob.post("/api/v1/jobs/" + id + "/run").status()).isEqualTo(404);
        assertThat(bob.delete("/api/v1/jobs/" + id).status()).isEqualTo(404);
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("status").asString()).isEqualTo("active");
    }

    @Test
    void theAdminReadsEveryJobButChangesNone() {
        String id = alice.post("/api/v1/jobs", MINIMAL).json().get("id").asString();
        bob.post("/api/v1/jobs", MINIMAL);

        assertThat(admin().get("/api/v1/jobs").json().get("items")).hasSize(2);
        assertThat(admin().get("/api/v1/jobs/" + id).status()).isEqualTo(200);
        assertThat(admin().post("/api/v1/jobs", MINIMAL).status()).isEqualTo(403);
        assertThat(admin().delete("/api/v1/jobs/" + id).status()).isEqualTo(403);
    }

    @Test
    void headersOfMoreThan16KiBTogetherAre400() {
        String value = "v".repeat(6000);
        Api.Response answer = alice.post("/api/v1/jobs", """
                {"url":"http://h/x","interval":"30s","headers":{"A":"%1$s","B":"%1$s"},"secretHeaders":{"C":"%1$s"}}
                """.formatted(value));

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("errors").get(0).get("message").asString()).contains("16 KiB");
    }

    @Test
    void aPageOfJobsStopsAtAFewMegabytesOfDefinitionsAndPagesOnFromThere() {
        String body = "{\"blob\":\"" + "x".repeat(900_000) + "\"}";
        for (int i = 0; i < 7; i++) {
            Api.Response created = alice.post("/api/v1/jobs", """
                    {"url":"http://h/%d","interval":"1h","method":"POST","body":%s}""".formatted(i, body));
            assertThat(created.status()).isEqualTo(201);
        }

        JsonNode first = alice.get("/api/v1/jobs?limit=1000").json();
        assertThat(first.get("items").size()).as("about 4 MiB of definitions").isBetween(4, 5);
        JsonNode second = alice.get("/api/v1/jobs?limit=1000&cursor=" + first.get("nextCursor").asString()).json();

        assertThat(first.get("items").size() + second.get("items").size()).isEqualTo(7);
        assertThat(second.get("nextCursor").isNull()).isTrue();
        assertThat(first.get("items").get(0).get("body").get("blob").asString()).hasSize(900_000);
    }

    @Test
    void jobsArePagedAndFilteredByStatus() {
        for (int i = 0; i < 5; i++) {
            alice.post("/api/v1/jobs", "{\"url\":\"http://h/" + i + "\",\"interval\":\"30s\",\"active\":" + (i % 2 == 0) + "}");
        }
        JsonNode first = alice.get("/api/v1/jobs?limit=3").json();
        JsonNode second = alice.get("/api/v1/jobs?limit=3&cursor=" + first.get("nextCursor").asString()).json();

        assertThat(first.get("items")).hasSize(3);
        assertThat(second.get("items")).hasSize(2);
        assertThat(second.get("nextCursor").isNull()).isTrue();
        assertThat(alice.get("/api/v1/jobs?status=active").json().get("items")).hasSize(3);
        assertThat(alice.get("/api/v1/jobs?status=stopped").json().get("items")).hasSize(2);
        assertThat(alice.get("/api/v1/jobs?status=paused").status()).isEqualTo(400);
    }

    @Test
    void aMergePatchChangesOnlyWhatItNamesAndANewIntervalReschedulesFromNow() {
        JsonNode job = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"30s\",\"name\":\"n\","
                + "\"headers\":{\"A\":\"1\",\"B\":\"2\"},\"secretHeaders\":{\"K\":\"s1\"}}").json();
        String id = job.get("id").asString();
        Instant before = Instant.now();

        Api.Response patched = alice.patch("/api/v1/jobs/" + id, "{\"interval\":\"1h\",\"headers\":{\"B\":null},\"name\":null}");

        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        JsonNode after = patched.json();
        assertThat(after.get("interval").asString()).isEqualTo("PT1H");
        assertThat(after.get("headers").has("A")).isTrue();
        assertThat(after.get("headers").has("B")).isFalse();
        assertThat(after.get("name").isNull()).isTrue();
        assertThat(after.get("secretHeaders").get("K").asString()).isEqualTo("***");
        assertThat(Instant.parse(after.get("nextRunAt").asString()))
                .isBetween(before.plus(Duration.ofMinutes(59)), Instant.now().plus(Duration.ofHours(1)));
    }

    @Test
    void anInvalidPatchIs400AndLeavesTheJobAsItWas() {
        String id = alice.post("/api/v1/jobs", MINIMAL).json().get("id").asString();

        assertThat(alice.patch("/api/v1/jobs/" + id, "{\"interval\":\"1ms\"}").status()).isEqualTo(400);
        assertThat(alice.patch("/api/v1/jobs/" + id, "{\"cron\":\"* * * * *\"}").status()).isEqualTo(400);
        assertThat(alice.patch("/api/v1/jobs/" + id, "{\"bogus\":1}").status()).isEqualTo(400);
        assertThat(alice.patch("/api/v1/jobs/" + id, "[1]").status()).isEqualTo(400);
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("interval").asString()).isEqualTo("PT30S");
        assertThat(alice.patch("/api/v1/jobs/" + id, "{\"interval\":null,\"cron\":\"*/5 * * * *\"}").status()).isEqualTo(200);
    }

    @Test
    void stopAndStartAreIdempotentAndAStoppedJobHasNoNextRun() {
        String id = alice.post("/api/v1/jobs", MINIMAL).json().get("id").asString();

        JsonNode stopped = alice.post("/api/v1/jobs/" + id + "/stop").json();
        assertThat(stopped.get("status").asString()).isEqualTo("stopped");
        assertThat(stopped.get("nextRunAt").isNull()).isTrue();
        assertThat(alice.post("/api/v1/jobs/" + id + "/stop").json().get("status").asString()).isEqualTo("stopped");

        JsonNode started = alice.post("/api/v1/jobs/" + id + "/start").json();
        assertThat(started.get("status").asString()).isEqualTo("active");
        assertThat(started.get("nextRunAt").isNull()).isFalse();
        assertThat(alice.post("/api/v1/jobs/" + id + "/start").status()).isEqualTo(200);
    }

    @Test
    void runNowAnswers202AndAsksTheSchedulerForOneRun() {
        String id = alice.post("/api/v1/jobs", "{\"url\":\"https://api.example.com/x\",\"interval\":\"1h\",\"active\":false}")
                .json().get("id").asString();

        assertThat(bob.post("/api/v1/jobs/" + id + "/run").status()).isEqualTo(404);
        assertThat(alice.post("/api/v1/jobs/" + id + "/run").status()).isEqualTo(202);

        assertThat(jdbc.sql("SELECT run_requested FROM job_schedules WHERE job_id = CAST(:id AS UUID)").param("id", id)
                .query(Boolean.class).single()).isTrue();
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("nextRunAt").isNull()).as("due now, though stopped").isFalse();
    }

    @Test
    void deletingAJobRemovesItAndDeletingAUserRemovesTheirJobs() {
        String id = alice.post("/api/v1/jobs", MINIMAL).json().get("id").asString();
        bob.post("/api/v1/jobs", MINIMAL);

        assertThat(alice.delete("/api/v1/jobs/" + id).status()).isEqualTo(204);
        assertThat(alice.get("/api/v1/jobs/" + id).status()).isEqualTo(404);
        assertThat(alice.delete("/api/v1/jobs/" + id).status()).isEqualTo(404);

        String bobId = admin().get("/api/v1/users").json().get("items").valueStream()
                .filter(u -> u.get("name").asString().equals("bob")).findFirst().orElseThrow().get("id").asString();
        assertThat(admin().delete("/api/v1/users/" + bobId).status()).isEqualTo(204);
        assertThat(admin().get("/api/v1/jobs").json().get("items")).isEmpty();
    }

    @Test
    void changingWhatIsRequestedDropsTheStoredValidatorsButRenamingKeepsThem() {
        String id = alice.post("/api/v1/jobs", MINIMAL).json().get("id").asString();
        jdbc.sql("UPDATE job_polls SET etag = '\"v1\"', last_modified = 'Mon, 01 Jan 2026 00:00:00 GMT'").update();

        alice.patch("/api/v1/jobs/" + id, "{\"name\":\"renamed\"}");
        assertThat(jdbc.sql("SELECT etag FROM job_polls").query(String.class).single()).isEqualTo("\"v1\"");

        alice.patch("/api/v1/jobs/" + id, "{\"url\":\"https://api.example.com/other\"}");
        assertThat(jdbc.sql("SELECT count(*) FROM job_polls WHERE etag IS NULL AND last_modified IS NULL").query(Integer.class).single())
                .isEqualTo(1);
    }

    @Test
    void oversizeRequestBodiesAre413WhetherDeclaredOrStreamed() {
        String huge = "{\"url\":\"http://h/x\",\"interval\":\"30s\",\"name\":\"" + "x".repeat(3 * 1024 * 1024) + "\"}";
        assertThat(alice.post("/api/v1/jobs", huge).status()).isEqualTo(413);

        var chunked = alice.request("/api/v1/jobs").header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(huge.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        Api.Response streamed = alice.send(chunked);
        assertThat(streamed.status()).as(streamed.toString()).isEqualTo(413);
        assertThat(alice.get("/api/v1/jobs").json().get("items")).isEmpty();
    }

    @Test
    void pollHistoryPagesFromTheOpenEntryThroughTheClosedOnes() {
        String id = alice.post("/api/v1/jobs", MINIMAL).json().get("id").asString();
        jdbc.sql("""
                UPDATE job_polls SET fold_count = 7, fold_started_at = now(), fold_last_at = now(), fold_duration_ms = 3,
                                fold_http_status = 200, fold_outcome = 'unchanged', fold_attempts = 1
                """).update();
        for (int i = 0; i < 4; i++) {
            jdbc.sql("""
                    INSERT INTO polls (job_id, started_at, last_at, count, duration_ms, http_status, outcome, attempts)
                    VALUES (CAST(:id AS UUID), now(), now(), 1, 5, :status, 'failed', 2)
                    """).param("id", id).param("status", 500 + i).update();
        }
        java.util.List<String> seen = new java.util.ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = alice.get("/api/v1/jobs/" + id + "/polls?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("items").forEach(p -> seen.add(p.get("outcome").asString() + "/" + p.get("httpStatus").asInt() + "x" + p.get("count").asInt()));
            cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asString();
        } while (cursor != null);

        assertThat(seen).containsExactly("unchanged/200x7", "failed/503x1", "failed/502x1", "failed/501x1", "failed/500x1");
    }
}
