package io.pollster.output;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** File outputs: a job's events as JSON Lines files under its owner's own folder, whole files, in order. */
class FileOutputTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Path OUTPUTS = TestDirs.runDir().resolve("data").resolve("outputs");

    @DynamicPropertySource
    static void outputs(DynamicPropertyRegistry registry) {
        registry.add("pollster.min-interval", () -> "100ms");
        registry.add("pollster.outputs.poll-interval", () -> "50ms");
    }

    @Test
    void eventsGoInBatchesOfWholeLinesInOrderUnderTheOwnersFolder() throws Exception {
        String token = createUser("alice");
        Api alice = api().as(token);
        String userId = alice.get("/api/v1/me").json().get("id").asString();
        upstream.route("/ticks", n -> Answer.json("{\"n\":" + n + "}"));
        String id = job(alice, """
                {"url":"%s","interval":"100ms","outputs":[{"type":"file","dir":"out/prices","batchSize":3,"linger":"5s"}]}
                """.formatted(upstream.url("/ticks")));

        await("three files of three").atMost(WAIT).until(() -> lines(id).size() >= 9);
        alice.post("/api/v1/jobs/" + id + "/stop");

        List<Path> files = files(id);
        assertThat(files).allSatisfy(f -> assertThat(f.getParent().endsWith(Path.of("out", "prices"))).isTrue());
        assertThat(files.getFirst().getParent().getParent().getParent().getParent()).isEqualTo(OUTPUTS);
        assertThat(files.getFirst().getParent().getParent().getParent().getFileName().toString()).isEqualTo(userId);
        for (Path file : files) {
            assertThat(Files.readAllLines(file)).as(file.toString()).hasSize(3); // full batches before the linger ends
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }
        List<String> ids = lines(id).stream().map(l -> l.get("id").asString()).toList();
        assertThat(ids).doesNotHaveDuplicates().isSorted();
        assertThat(lines(id)).allSatisfy(l -> assertThat(l.get("type").asString()).isEqualTo("version.created"));
        JsonNode events = alice.get("/api/v1/jobs/" + id + "/events?limit=1000").json().get("items");
        assertThat(events.get(0).get("deliveries").get(0).get("state").asString()).isEqualTo("delivered");
    }

    @Test
    void aBatchThatIsNotFullIsWrittenOnceItsFirstEventLingered() throws Exception {
        Api bob = api().as(createUser("bob"));
        upstream.route("/once", n -> Answer.json("{\"a\":1}"));
        String id = job(bob, """
                {"url":"%s","interval":"1h","outputs":[{"type":"file","dir":"single","batchSize":100,"linger":"300ms"}]}
                """.formatted(upstream.url("/once")));

        await().atMost(WAIT).until(() -> lines(id).size() == 1);
        assertThat(files(id)).hasSize(1);
    }

    @Test
    void directoriesThatWouldLeaveTheOwnersFolderAreRefused() {
        Api carol = api().as(createUser("carol"));
        for (String dir : List.of("../escape", "/etc", "a/../../b", "a//b", "a\\\\b", "", "./a", "a/..", "~root")) {
            Api.Response refused = carol.post("/api/v1/jobs", """
                    {"url":"%s","interval":"1h","outputs":[{"type":"file","dir":"%s"}]}
                    """.formatted(upstream.url("/x"), dir));
            assertThat(refused.status()).as(dir).isEqualTo(400);
            assertThat(refused.body()).as(dir).contains("outputs[0].dir");
        }
        Api.Response badBatch = carol.post("/api/v1/jobs", """
                {"url":"%s","interval":"1h","outputs":[{"type":"file","dir":"ok","batchSize":0,"linger":"2h"}]}
                """.formatted(upstream.url("/x")));
        assertThat(badBatch.body()).contains("outputs[0].batchSize").contains("outputs[0].linger");
        assertThat(carol.get("/api/v1/jobs").json().get("items")).isEmpty();
    }

    private static String job(Api api, String json) {
        Api.Response created = api.post("/api/v1/jobs", json);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    /** The job's output files, in name order (= event order). */
    private static List<Path> files(String jobId) throws IOException {
        if (!Files.isDirectory(OUTPUTS)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(OUTPUTS)) {
            return walk.filter(p -> p.getFileName().toString().startsWith(jobId + "-") && p.toString().endsWith(".jsonl"))
                    .sorted().toList();
        }
    }

    private static List<JsonNode> lines(String jobId) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (Path file : files(jobId)) {
            for (String line : Files.readAllLines(file)) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }
}
