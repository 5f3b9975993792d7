package io.pollster.paging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Paginated runs for real: fire → run → page tasks on the queue → pages, items and events, against a loopback API. */
class PagingTest extends PipelineTest {

    @org.springframework.test.context.DynamicPropertySource
    static void hostRate(org.springframework.test.context.DynamicPropertyRegistry registry) {
        // the operator's cap for one host: jobs here reach the stub as "localhost" only when they test it
        registry.add("pollster.hosts.localhost.rate", () -> "2/1s");
    }

    private static final Duration WAIT = Duration.ofSeconds(30);

    private Api alice;
    @org.springframework.beans.factory.annotation.Autowired
    private io.pollster.transport.Transport transport;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    /** An API of {@code items} items, {@code size} per page, answering {@code ?page=N&limit=S} with a count. */
    private static StubUpstream.Answer countedPage(Map<String, String> query, int items, Map<Integer, String> names) {
        int page = Integer.parseInt(query.getOrDefault("page", "1"));
        int size = Integer.parseInt(query.getOrDefault("limit", "10"));
        List<String> results = new ArrayList<>();
        for (int i = (page - 1) * size; i < Math.min(items, page * size); i++) {
            results.add("{\"id\":%d,\"name\":\"%s\"}".formatted(i, names.getOrDefault(i, "item-" + i)));
        }
        return Answer.json("{\"count\":%d,\"results\":[%s]}".formatted(items, String.join(",", results)));
    }

    @Test
    void aCountFirstRunFetchesEveryPageOnceWithinItsParallelismAndEmitsEachItemOnce() {
        Map<Integer, String> names = new HashMap<>();
        upstream.routeQuery("/items", q -> countedPage(q, 250, names).after(20));
        String id = job("""
                {"url":"%s","interval":"1h",
                 "pagination":{"type":"page","param":"page","sizeParam":"limit","size":10,"totalPath":"$.count","parallelism":4},
                 "items":{"path":"$.results[*]","key":"$.id"}}
                """.formatted(upstream.url("/items")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        assertThat(run.get("pagination").asString()).isEqualTo("page");
        assertThat(run.get("pages").get("total").asInt()).isEqualTo(25);
        assertThat(run.get("pages").get("done").asInt()).isEqualTo(25);
        assertThat(pagesRequested()).as("each page fetched once").hasSize(25).allSatisfy((page, n) -> assertThat(n).isEqualTo(1));
        assertThat(upstream.mostAtOnce("/items")).isBetween(2, 4);
        assertThat(events(id, "item.created")).hasSize(250);
        assertThat(events(id, "run.finished")).hasSize(1);
        assertThat(allItems(id)).hasSize(250);
        JsonNode item = alice.get("/api/v1/jobs/" + id + "/items/7").json();
        assertThat(item.get("content").get("name").asString()).isEqualTo("item-7");
        assertThat(item.get("firstSeenAt").asString()).isNotBlank();
        JsonNode poll = alice.get("/api/v1/jobs/" + id + "/polls").json().get("items").get(0);
        assertThat(poll.get("outcome").asString()).isEqualTo("changed");
        JsonNode shown = alice.get("/api/v1/jobs/" + id).json().get("run");
        assertThat(shown.get("id").asString()).isEqualTo(run.get("id").asString());
        assertThat(shown.get("status").asString()).isEqualTo("succeeded");
        assertThat(shown.get("done").asInt()).isEqualTo(25);
        assertThat(alice.get("/api/v1/jobs").json().get("items").get(0).has("run")).as("not in lists").isFalse();

        // the next run: one item changed on one page → one item.changed, and nothing else new
        names.put(123, "renamed");
        assertThat(alice.post("/api/v1/jobs/" + id + "/run").status()).isEqualTo(202);
        await("a second run").atMost(WAIT).until(() -> runs(id).size() == 2 && !runs(id).get(0).get("status").asString()
                .equals("running"));
        assertThat(events(id, "item.changed")).hasSize(1);
        assertThat(events(id, "item.changed").get(0).get("data").get("key").asString()).isEqualTo("123");
        assertThat(events(id, "item.created")).hasSize(250);
        assertThat(alice.get("/api/v1/jobs/" + id + "/items/123").json().get("content").get("name").asString())
                .isEqualTo("renamed");
    }

    @Test
    void aCursorRunFollowsItsCursorsUntilTheLastPage() {
        upstream.routeQuery("/feed", q -> {
            int at = Integer.parseInt(q.getOrDefault("cursor", "0"));
            String next = at < 4 ? "\"" + (at + 1) + "\"" : "null";
            return Answer.json("{\"data\":[{\"id\":\"%d\"}],\"nextCursor\":%s}".formatted(at, next));
        });
        String id = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"cursor","cursorParam":"cursor","cursorPath":"$.nextCursor"},
                 "items":{"path":"$.data[*]","key":"$.id"}}
                """.formatted(upstream.url("/feed")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        assertThat(run.get("pages").get("done").asInt()).isEqualTo(5);
        assertThat(allItems(id)).hasSize(5);
    }

    @Test
    void aNextUrlRunResolvesRelativeUrls() {
        upstream.routeQuery("/next", q -> {
            int at = Integer.parseInt(q.getOrDefault("p", "1"));
            String next = at < 3 ? "\"/next?p=" + (at + 1) + "\"" : "null";
            return Answer.json("{\"rows\":[{\"k\":%d}],\"next\":%s}".formatted(at, next));
        });
        String id = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"cursor","nextUrlPath":"$.next"}}
                """.formatted(upstream.url("/next")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        assertThat(run.get("pages").get("done").asInt()).isEqualTo(3);
        assertThat(upstream.requests("/next")).extracting(r -> r.param("p")).containsExactly(null, "2", "3");
    }

    @Test
    void aLinkRunAndAnAutoRunFollowRelNext() {
        upstream.routeQuery("/linked", q -> {
            int at = Integer.parseInt(q.getOrDefault("page", "1"));
            Answer answer = Answer.json("[{\"id\":%d}]".formatted(at));
            return at < 4 ? answer.withHeader("Link", "<%s?page=%d>; rel=\"next\", <%s?page=1>; rel=\"first\""
                    .formatted(upstream.url("/linked"), at + 1, upstream.url("/linked"))) : answer;
        });
        String link = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"link"},"items":{"path":"$[*]","key":"$.id"}}
                """.formatted(upstream.url("/linked")));
        String auto = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"auto"}}
                """.formatted(upstream.url("/linked")));

        assertThat(finishedRun(link).get("pages").get("done").asInt()).isEqualTo(4);
        assertThat(allItems(link)).hasSize(4);
        JsonNode detected = finishedRun(auto);
        assertThat(detected.get("status").asString()).isEqualTo("succeeded");
        assertThat(detected.get("pagination").asString()).isEqualTo("link");
        assertThat(detected.get("note").asString()).contains("detected");
        assertThat(detected.get("pages").get("done").asInt()).isEqualTo(4);
    }

    @Test
    void autoDetectsATotalWithThePageParameterAndRefusesToGuessWhenAmbiguous() {
        upstream.routeQuery("/counted", q -> countedPage(q, 35, Map.of()));
        upstream.routeQuery("/both", q -> Answer.json("{\"next\":\"/both?page=2\",\"items\":[]}")
                .withHeader("Link", "<" + upstream.url("/both") + "?page=3>; rel=\"next\""));
        String counted = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"auto"}}
                """.formatted(upstream.url("/counted?page=1&limit=10")));
        String both = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"auto"}}
                """.formatted(upstream.url("/both")));

        JsonNode run = finishedRun(counted);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        assertThat(run.get("pagination").asString()).isEqualTo("page");
        assertThat(run.get("pages").get("total").asInt()).isEqualTo(4);
        JsonNode detail = alice.get("/api/v1/jobs/" + counted + "/runs/" + run.get("id").asString()).json();
        assertThat(detail.get("settings").get("totalPath").asString()).isEqualTo("$.count");

        JsonNode ambiguous = finishedRun(both);
        assertThat(ambiguous.get("status").asString()).isEqualTo("failed");
        assertThat(ambiguous.get("error").asString()).contains("Link").contains("$.next").contains("\"type\":\"link\"");
    }

    @Test
    void aRunWithoutATotalEndsAtTheFirstShortPage() {
        upstream.routeQuery("/short", q -> countedPage(q, 23, Map.of()));
        String id = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"page","sizeParam":"limit","size":10}}
                """.formatted(upstream.url("/short")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        assertThat(run.get("pages").get("done").asInt()).isEqualTo(3);
        assertThat(upstream.requests("/short")).hasSize(3);
    }

    @Test
    void aCursorSeenTwiceFailsTheRunAsALoopAndMaxPagesCapsARun() {
        upstream.routeQuery("/loop", q -> Answer.json("{\"next\":\"" + upstream.url("/loop") + "?c="
                + (q.containsKey("c") ? "a" : "b") + "\",\"x\":1}"));
        upstream.routeQuery("/endless", q -> countedPage(q, 1_000_000_000, Map.of()));
        String loop = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"cursor","nextUrlPath":"$.next"}}
                """.formatted(upstream.url("/loop")));
        String capped = job("""
                {"url":"%s","interval":"1h","pagination":{"type":"page","sizeParam":"limit","size":10,
                 "totalPath":"$.count","maxPages":5}}
                """.formatted(upstream.url("/endless")));

        JsonNode looped = finishedRun(loop);
        assertThat(looped.get("status").asString()).isEqualTo("failed");
        assertThat(looped.get("error").asString()).contains("pagination loop");
        assertThat(upstream.requests("/loop")).hasSize(3);

        JsonNode cap = finishedRun(capped);
        assertThat(cap.get("status").asString()).isEqualTo("succeeded");
        assertThat(cap.get("pages").get("total").asInt()).isEqualTo(5);
        assertThat(cap.get("note").asString()).contains("100000000 pages").contains("maxPages 5");
        assertThat(upstream.requests("/endless")).hasSize(5);
    }

    @Test
    void a429WithRetryAfterIsWaitedOutAndTheRunSucceeds() {
        AtomicInteger page7 = new AtomicInteger();
        upstream.routeQuery("/limited", q -> q.get("page").equals("7") && page7.getAndIncrement() == 0
                ? Answer.status(429).withHeader("Retry-After", "1")
                : countedPage(q, 100, Map.of()));
        String id = job("""
                {"url":"%s","interval":"1h","retry":{"maxAttempts":3,"backoff":"10ms","maxBackoff":"5s"},
                 "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count"}}
                """.formatted(upstream.url("/limited")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        List<StubUpstream.Request> sevens = upstream.requests("/limited").stream()
                .filter(r -> "7".equals(r.param("page"))).toList();
        assertThat(sevens).hasSize(2);
        assertThat(Duration.ofNanos(sevens.get(1).receivedAt() - sevens.get(0).receivedAt())).isGreaterThan(Duration.ofMillis(900));
    }

    @Test
    void aPageThatKeepsFailingIsDeadLetteredTheRunIsPartialAndAReplayCompletesIt() {
        AtomicInteger broken = new AtomicInteger(1);
        upstream.routeQuery("/flaky", q -> q.get("page").equals("3") && broken.get() == 1
                ? Answer.status(500) : countedPage(q, 50, Map.of()));
        String id = job("""
                {"url":"%s","interval":"1h","retry":{"maxAttempts":2,"backoff":"10ms","maxBackoff":"20ms"},
                 "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count"},
                 "items":{"path":"$.results[*]","key":"$.id"}}
                """.formatted(upstream.url("/flaky")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("partial");
        assertThat(run.get("pages").get("failed").asInt()).isEqualTo(1);
        JsonNode detail = alice.get("/api/v1/jobs/" + id + "/runs/" + run.get("id").asString()).json();
        assertThat(detail.get("failedPages").get(0).get("number").asInt()).isEqualTo(3);
        assertThat(detail.get("failedPages").get(0).get("error").asString()).contains("500");
        JsonNode letters = alice.get("/api/v1/dead-letters?type=page").json().get("items");
        assertThat(letters).hasSize(1);
        assertThat(allItems(id)).hasSize(40);

        broken.set(0);
        assertThat(alice.post("/api/v1/dead-letters/" + letters.get(0).get("id").asString() + "/replay").status())
                .isEqualTo(202);
        await("the replayed page").atMost(WAIT).until(() -> runs(id).get(0).get("status").asString().equals("succeeded"));
        assertThat(allItems(id)).hasSize(50);
    }

    @Test
    void aJobsRateLimitHoldsAcrossItsPages() {
        upstream.routeQuery("/slow-down", q -> countedPage(q, 120, Map.of()));
        String id = job("""
                {"url":"%s","interval":"1h","rateLimit":{"limit":5,"per":"1s"},
                 "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count","parallelism":6}}
                """.formatted(upstream.url("/slow-down")));

        assertThat(finishedRun(id).get("status").asString()).isEqualTo("succeeded");
        List<Long> times = upstream.requests("/slow-down").stream().map(StubUpstream.Request::receivedAt).sorted().toList();
        assertThat(times).hasSize(12);
        for (int i = 0; i + 6 < times.size(); i++) {
            assertThat(times.get(i + 6) - times.get(i)).as("6 requests span more than a second").isGreaterThan(1_000_000_000L);
        }
        assertThat(times.get(5) - times.get(0)).isGreaterThan(900_000_000L);
    }

    @Test
    void credentialsGivenAsPlainHeadersNeverReachAnotherOriginThroughANextUrlOrAFollow() {
        try (StubUpstream elsewhere = new StubUpstream()) {
            // the second page and every item's detail are on another origin (another port of the same host)
            upstream.route("/home", n -> Answer.json("{\"rows\":[{\"k\":1,\"url\":\"%s\"}],\"next\":\"%s\"}"
                    .formatted(elsewhere.url("/detail/1"), elsewhere.url("/away?p=2"))));
            elsewhere.route("/away", n -> Answer.json("{\"rows\":[{\"k\":2,\"url\":\"%s\"}],\"next\":null}"
                    .formatted(upstream.url("/detail/2"))));
            elsewhere.route("/detail/1", n -> Answer.json("{\"detail\":1}"));
            upstream.route("/detail/2", n -> Answer.json("{\"detail\":2}"));
            String id = job("""
                    {"url":"%s","interval":"1h",
                     "headers":{"Authorization":"Bearer plain-token","Cookie":"sid=plain","X-Trace":"kept"},
                     "secretHeaders":{"X-Api-Key":"secret-key"},
                     "pagination":{"type":"cursor","nextUrlPath":"$.next"},
                     "items":{"path":"$.rows[*]","key":"$.k","follow":"$.url"}}
                    """.formatted(upstream.url("/home")));

            assertThat(finishedRun(id).get("status").asString()).isEqualTo("succeeded");
            List<StubUpstream.Request> away = new ArrayList<>(elsewhere.requests("/away"));
            away.addAll(elsewhere.requests("/detail/1"));
            assertThat(away).as("requests to the other origin").hasSize(2).allSatisfy(request -> {
                assertThat(request.headers().getFirst("Authorization")).isNull();
                assertThat(request.headers().getFirst("Cookie")).isNull();
                assertThat(request.headers().getFirst("X-Api-Key")).isNull();
                assertThat(request.headers().getFirst("X-Trace")).isEqualTo("kept");
            });
            List<StubUpstream.Request> home = new ArrayList<>(upstream.requests("/home"));
            home.addAll(upstream.requests("/detail/2"));
            assertThat(home).as("requests to the job's own origin").hasSize(2).allSatisfy(request -> {
                assertThat(request.headers().getFirst("Authorization")).isEqualTo("Bearer plain-token");
                assertThat(request.headers().getFirst("Cookie")).isEqualTo("sid=plain");
                assertThat(request.headers().getFirst("X-Api-Key")).isEqualTo("secret-key");
            });
        }
    }

    @Test
    void followFetchesEachNewOrChangedItemsDetailOnce() {
        AtomicInteger version = new AtomicInteger(1);
        upstream.routeQuery("/catalog", q -> {
            int page = Integer.parseInt(q.get("page"));
            List<String> rows = new ArrayList<>();
            for (int i = (page - 1) * 10; i < page * 10; i++) {
                rows.add("{\"id\":%d,\"url\":\"/detail/%d\",\"v\":%d}".formatted(i, i, i == 3 ? version.get() : 1));
            }
            return Answer.json("{\"count\":20,\"results\":[%s]}".formatted(String.join(",", rows)));
        });
        for (int i = 0; i < 20; i++) {
            int item = i;
            upstream.route("/detail/" + i, n -> Answer.json("{\"id\":%d,\"detail\":\"full %d\",\"fetch\":%d}"
                    .formatted(item, item, n)));
        }
        String id = job("""
                {"url":"%s","interval":"1h",
                 "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count"},
                 "items":{"path":"$.results[*]","key":"$.id","follow":"$.url"}}
                """.formatted(upstream.url("/catalog")));

        JsonNode run = finishedRun(id);
        assertThat(run.get("status").asString()).isEqualTo("succeeded");
        for (int i = 0; i < 20; i++) {
            assertThat(upstream.requests("/detail/" + i)).as("detail %d", i).hasSize(1);
        }
        assertThat(alice.get("/api/v1/jobs/" + id + "/items/5").json().get("content").get("detail").asString())
                .isEqualTo("full 5");

        version.set(2);
        alice.post("/api/v1/jobs/" + id + "/run");
        await("a second run").atMost(WAIT).until(() -> runs(id).size() == 2 && !runs(id).get(0).get("status").asString()
                .equals("running"));
        assertThat(upstream.requests("/detail/3")).as("the changed item is followed again").hasSize(2);
        assertThat(upstream.requests("/detail/4")).as("an unchanged one is not").hasSize(1);
        assertThat(alice.get("/api/v1/jobs/" + id + "/items/3").json().get("content").get("fetch").asInt()).isEqualTo(1);
    }

    @Test
    void aPlainJobsPollsKeepToItsRateLimit() {
        upstream.route("/rated", n -> Answer.json("{\"n\":1}"));
        job("""
                {"url":"%s","interval":"1s","rateLimit":{"limit":1,"per":"2s"}}
                """.formatted(upstream.url("/rated")));

        await().atMost(WAIT).until(() -> upstream.requests("/rated").size() >= 3);
        List<Long> times = upstream.requests("/rated").stream().map(StubUpstream.Request::receivedAt).toList();
        for (int i = 1; i < times.size(); i++) {
            assertThat(times.get(i) - times.get(i - 1)).as("gap before poll %d", i).isGreaterThan(1_900_000_000L);
        }
    }

    @Test
    void aHostsRateFromTheOperatorSpacesEveryJobsRequestsToIt() {
        upstream.route("/capped-a", n -> Answer.json("{\"a\":" + n + "}"));
        upstream.route("/capped-b", n -> Answer.json("{\"b\":" + n + "}"));
        String local = "http://localhost:" + upstream.port();
        job("{\"url\":\"%s/capped-a\",\"interval\":\"1s\"}".formatted(local));
        job("{\"url\":\"%s/capped-b\",\"interval\":\"1s\"}".formatted(local));

        await().atMost(WAIT).until(() -> upstream.requests("/capped-a").size() + upstream.requests("/capped-b").size() >= 8);
        List<Long> times = java.util.stream.Stream.concat(upstream.requests("/capped-a").stream(),
                upstream.requests("/capped-b").stream()).map(StubUpstream.Request::receivedAt).sorted().toList();
        for (int i = 1; i < times.size(); i++) {
            assertThat(times.get(i) - times.get(i - 1)).as("gap before request %d", i).isGreaterThan(450_000_000L);
        }
    }

    @Test
    void a429PausesEveryRequestOfItsOwnerToItsOrigin() {
        AtomicInteger throttledAt = new AtomicInteger();
        long[] at = new long[1];
        upstream.route("/throttling", n -> {
            if (n == 0) {
                at[0] = System.nanoTime();
                throttledAt.set(1);
                return Answer.status(429).withHeader("Retry-After", "3");
            }
            return Answer.json("{\"ok\":true}");
        });
        upstream.route("/neighbour", n -> Answer.json("{\"n\":" + n + "}"));
        job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/neighbour")));
        await().atMost(WAIT).until(() -> upstream.requests("/neighbour").size() >= 2);
        job("""
                {"url":"%s","interval":"1h","retry":{"maxAttempts":2,"backoff":"10ms","maxBackoff":"10s"}}
                """.formatted(upstream.url("/throttling")));

        await().atMost(WAIT).until(() -> upstream.requests("/throttling").size() == 2);
        long throttled = at[0];
        List<Long> during = upstream.requests("/neighbour").stream().map(StubUpstream.Request::receivedAt)
                .filter(t -> t > throttled + 200_000_000L && t < throttled + 2_800_000_000L).toList();
        assertThat(during).as("the neighbour's requests while its host asked to wait").isEmpty();
        assertThat(upstream.requests("/throttling").get(1).receivedAt() - throttled).isGreaterThan(2_900_000_000L);
    }

    @Test
    void aRedeliveredPageTaskFetchesNothingAndMakesNoEvent() {
        upstream.routeQuery("/again", q -> countedPage(q, 30, Map.of()));
        String id = job("""
                {"url":"%s","interval":"1h","items":{"path":"$.results[*]","key":"$.id"},
                 "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count"}}
                """.formatted(upstream.url("/again")));
        JsonNode run = finishedRun(id);
        int requests = upstream.requests("/again").size();

        transport.send(Map.of(PageTask.QUEUE, List.of(
                PageTask.first(java.util.UUID.fromString(run.get("id").asString()), java.util.UUID.fromString(id), 2).encode())));
        await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> upstream.requests("/again").size() == requests);
        assertThat(events(id, "item.created")).hasSize(30);
        assertThat(runs(id).get(0).get("pages").get("done").asInt()).isEqualTo(3);
    }

    @Test
    void aPlainPollSplitsItsBodyIntoItems() {
        AtomicInteger price = new AtomicInteger(1);
        upstream.route("/list", n -> Answer.json("{\"rows\":[{\"id\":\"a\",\"p\":%d},{\"id\":\"b\",\"p\":1}]}"
                .formatted(price.get())));
        String id = job("""
                {"url":"%s","interval":"1s","items":{"path":"$.rows[*]","key":"$.id"}}
                """.formatted(upstream.url("/list")));

        await().atMost(WAIT).until(() -> events(id, "item.created").size() == 2);
        price.set(2);
        await().atMost(WAIT).until(() -> events(id, "item.changed").size() == 1);
        assertThat(events(id, "item.changed").get(0).get("data").get("key").asString()).isEqualTo("a");
    }

    private Map<String, Integer> pagesRequested() {
        return upstream.requests("/items").stream()
                .collect(Collectors.toMap(r -> r.param("page"), r -> 1, Integer::sum));
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

    private List<JsonNode> allItems(String id) {
        List<JsonNode> all = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = alice.get("/api/v1/jobs/" + id + "/items?limit=100" + (cursor == null ? "" : "&cursor=" + cursor))
                    .json();
            page.get("items").forEach(all::add);
            cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asString();
        } while (cursor != null);
        return all;
    }

    private List<JsonNode> events(String id, String type) {
        List<JsonNode> all = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = alice.get("/api/v1/jobs/" + id + "/events?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor))
                    .json();
            page.get("items").forEach(all::add);
            cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asString();
        } while (cursor != null);
        return all.stream().filter(e -> e.get("type").asString().equals(type)).toList();
    }

    private String job(String body) {
        Api.Response created = alice.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }
}
