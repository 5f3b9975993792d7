package io.pollster.system;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import io.pollster.support.Api;
import io.pollster.support.PollsterProcess;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Pollster with a 512 MiB heap, polling many slow upstreams whose bodies are 10 MiB of JSON
 * each, while its jobs — a few hundred of them with 1 MiB request bodies — are listed a thousand
 * at a time. Bodies in flight are bounded by bytes (what does not fit waits on the queue), a list
 * page by the size of its definitions: the process stays up and answers, and no poll or request
 * ends in an OutOfMemoryError.
 */
class MemoryUnderLoadTest {

    private static final int TEN_MIB = 10 * 1024 * 1024;
    private static final int SLOW_JOBS = 48;
    private static final int LISTED_JOBS = 150;
    private static final int MIN_LISTINGS = 8;

    @Test
    void aSmallHeapSurvivesManySlowLargeBodiesAndListingsOfLargeJobs() throws Exception {
        TestDatabase db = TestDatabase.get().sibling("memory");
        Map<String, String> env = Map.of(
                "SPRING_DATASOURCE_URL", db.url(),
                "SPRING_DATASOURCE_USERNAME", db.username(),
                "SPRING_DATASOURCE_PASSWORD", db.password(),
                "POLLSTER_ADMIN_TOKEN", "memory-test-admin-token-0123456789",
                "POLLSTER_SECRET_KEY", PollsterProcess.SECRET_KEY,
                "POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS", "true",
                "POLLSTER_INGEST_ENABLED", "false",
                "POLLSTER_HOSTS_DEFAULT_CONCURRENCY", "64",
                // every poll stores a new 10 MiB body: the default quota of 1 GB would fill in seconds
                "POLLSTER_QUOTA_STORED_BYTES", "1TB");
        AtomicInteger served = new AtomicInteger();
        HttpServer upstream = slowLargeBodies(served);
        try (PollsterProcess pollster = PollsterProcess.startOptimized(TestDirs.newDir("memory-").resolve("data"), env)) {
            pollster.awaitReady(Duration.ofSeconds(180));
            Api admin = pollster.api().as("memory-test-admin-token-0123456789");
            Api alice = pollster.api().as(admin.post("/api/v1/users", "{\"name\":\"alice\"}").json().get("token").asString());
            String requestBody = "{\"blob\":\"" + "y".repeat(1024 * 1024 - 20) + "\"}";
            for (int i = 0; i < LISTED_JOBS; i++) {
                Api.Response created = alice.post("/api/v1/jobs", """
                        {"url":"http://127.0.0.1:%d/listed","interval":"1h","method":"POST","active":false,"body":%s}
                        """.formatted(upstream.getAddress().getPort(), requestBody));
                assertThat(created.status()).as(created.toString()).isEqualTo(201);
            }
            for (int i = 0; i < SLOW_JOBS; i++) {
                Api.Response created = alice.post("/api/v1/jobs", "{\"url\":\"http://127.0.0.1:%d/large/%d\",\"interval\":\"1s\",\"timeout\":\"30s\"}"
                        .formatted(upstream.getAddress().getPort(), i));
                assertThat(created.status()).as(created.toString()).isEqualTo(201);
            }

            // listings go on for at least 30 s under the polls' load, and until each of the four
            // listers has listed twice; a slow machine gets longer, a stuck process fails
            Instant loadedFor = Instant.now().plusSeconds(30);
            Instant giveUp = Instant.now().plusSeconds(150);
            int listings = 0;
            try (var callers = Executors.newVirtualThreadPerTaskExecutor()) {
                while ((Instant.now().isBefore(loadedFor) || listings < MIN_LISTINGS) && Instant.now().isBefore(giveUp)) {
                    List<Future<Integer>> pages = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        pages.add(callers.submit(() -> listAll(alice)));
                    }
                    for (Future<Integer> page : pages) {
                        assertThat(page.get()).isEqualTo(LISTED_JOBS + SLOW_JOBS);
                        listings++;
                    }
                }
            }

            await("polls of the large bodies").atMost(Duration.ofSeconds(60))
                    .until(() -> db.scalar("SELECT count(*) FROM versions") >= SLOW_JOBS);
            assertThat(pollster.api().get("/actuator/health").status()).isEqualTo(200);
            assertThat(listings).as("every lister got every job, each listing more than once").isGreaterThanOrEqualTo(MIN_LISTINGS);
            assertThat(pollster.log()).doesNotContain("OutOfMemoryError");
            assertThat(db.strings("SELECT error || ' (' || count || ')' FROM dead_letters")).as("nothing failed for want of memory").isEmpty();
            assertThat(pollster.terminate(Duration.ofSeconds(60))).isIn(0, 143);
        } finally {
            upstream.stop(0);
        }
    }

    /**
     * Pages through every job a thousand at a time, as a client should: a 503 (the page's bytes
     * are not free now) is asked again after its Retry-After. Returns how many jobs it saw.
     */
    private static int listAll(Api user) throws InterruptedException {
        int seen = 0;
        String cursor = null;
        do {
            String path = "/api/v1/jobs?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor);
            Api.Response page = user.get(path);
            for (int retry = 0; page.status() == 503 && retry < 30; retry++) {
                assertThat(page.header("Retry-After")).isEqualTo("1");
                Thread.sleep(1000);
                page = user.get(path);
            }
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            seen += page.json().get("items").size();
            cursor = page.json().get("nextCursor").isNull() ? null : page.json().get("nextCursor").asString();
        } while (cursor != null);
        return seen;
    }

    /** 10 MiB JSON bodies (a new one each time), sent in 64 KiB chunks over about two seconds. */
    private static HttpServer slowLargeBodies(AtomicInteger served) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        byte[] chunk = "z".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        server.createContext("/large", exchange -> {
            try (exchange) {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                out.write(("{\"n\":" + served.incrementAndGet() + ",\"pad\":\"").getBytes(StandardCharsets.US_ASCII));
                for (int sent = 0; sent < TEN_MIB - 2 * chunk.length; sent += chunk.length) {
                    out.write(chunk);
                    if (sent % (16 * chunk.length) == 0) {
                        Thread.sleep(100);
                    }
                }
                out.write("\"}".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException | InterruptedException e) {
                // the poller gave up on this answer (put back for later): fine
            }
        });
        server.start();
        return server;
    }
}
