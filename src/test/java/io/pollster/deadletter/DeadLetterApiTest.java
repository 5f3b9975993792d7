package io.pollster.deadletter;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.pollster.proto.v1.IngestBatch;
import io.pollster.proto.v1.IngestMessage;
import io.pollster.schedule.PollTask;
import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.DeadLetterType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterApiTest extends IntegrationTest {

    @Autowired
    private JdbcClient jdbc;

    private Api alice;
    private Api bob;
    private UUID aliceId;
    private UUID bobId;

    @BeforeEach
    void users() {
        alice = api().as(createUser("alice"));
        bob = api().as(createUser("bob"));
        aliceId = UUID.fromString(alice.get("/api/v1/me").json().get("id").asString());
        bobId = UUID.fromString(bob.get("/api/v1/me").json().get("id").asString());
    }

    @Test
    void aUserListsOnlyTheirOwnDeadLettersByTypeAndTheAdminAll() {
        UUID message = letter("message", aliceId, "ingest-2", message(aliceId, "x"));
        UUID job = UUID.randomUUID();
        letter("poll", aliceId, "poll", PollTask.fire(job, Instant.parse("2026-01-01T00:00:00Z"), false, null).encode());
        letter("message", bobId, "ingest-0", message(bobId, null));

        JsonNode mine = alice.get("/api/v1/dead-letters").json();
        assertThat(mine.get("items")).hasSize(2);
        JsonNode messages = alice.get("/api/v1/dead-letters?type=message").json().get("items");
        assertThat(messages).hasSize(1);
        JsonNode first = messages.get(0);
        assertThat(first.get("id").asString()).isEqualTo(message.toString());
        assertThat(first.get("payload").get("value").asString()).isEqualTo("x");
        assertThat(first.get("error").asString()).isEqualTo("boom");
        assertThat(first.get("attempts").asInt()).isEqualTo(3);
        JsonNode poll = alice.get("/api/v1/dead-letters?type=poll").json().get("items").get(0).get("payload");
        assertThat(poll.get("jobId").asString()).isEqualTo(job.toString());
        assertThat(poll.get("dueAt").asString()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(poll.get("manual").asBoolean()).isFalse();
        assertThat(bob.get("/api/v1/dead-letters").json().get("items")).hasSize(1);
        assertThat(admin().get("/api/v1/dead-letters").json().get("items")).hasSize(3);
        assertThat(alice.get("/api/v1/dead-letters?type=bogus").status()).isEqualTo(400);
    }

    @Test
    void aDeadEntryOfSeveralMessagesShowsThemAllAndOnlyToItsSender() throws Exception {
        byte[] first = message(aliceId, "one");
        byte[] second = message(aliceId, "two");
        byte[] entry = IngestBatch.newBuilder()
                .addAllMessages(IngestBatch.parseFrom(first).getMessagesList())
                .addAllMessages(IngestBatch.parseFrom(second).getMessagesList()).build().toByteArray();
        letter("message", aliceId, "ingest-3", entry);

        JsonNode payload = alice.get("/api/v1/dead-letters?type=message").json().get("items").get(0).get("payload");
        assertThat(payload.get("messages").valueStream().map(m -> m.get("value").asString())).containsExactly("one", "two");
        assertThat(payload.get("messages").get(0).get("userId").asString()).isEqualTo(aliceId.toString());
        assertThat(bob.get("/api/v1/dead-letters?type=message").json().get("items")).isEmpty();
    }

    @Test
    void replayPutsThePayloadBackOnItsQueueAndRemovesTheDeadLetter() {
        byte[] payload = message(aliceId, "again");
        UUID id = letter("message", aliceId, "ingest-1", payload);

        assertThat(bob.post("/api/v1/dead-letters/" + id + "/replay").status()).isEqualTo(404);
        assertThat(alice.post("/api/v1/dead-letters/" + id + "/replay").status()).isEqualTo(202);

        assertThat(alice.get("/api/v1/dead-letters").json().get("items")).isEmpty();
        List<String> queued = jdbc.sql("SELECT queue || ' ' || encode(payload, 'hex') FROM queue_tasks")
                .query(String.class).list();
        assertThat(queued).containsExactly("ingest-1 " + java.util.HexFormat.of().formatHex(payload));
        assertThat(alice.post("/api/v1/dead-letters/" + id + "/replay").status()).isEqualTo(404);
    }

    @Test
    void ofTwoConcurrentReplaysOneWinsAndTheTaskIsQueuedOnce() throws Exception {
        for (int round = 0; round < 10; round++) {
            UUID id = letter("message", aliceId, "ingest-1", message(aliceId, "once-" + round));
            try (var callers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                var first = callers.submit(() -> alice.post("/api/v1/dead-letters/" + id + "/replay").status());
                var second = callers.submit(() -> alice.post("/api/v1/dead-letters/" + id + "/replay").status());

                assertThat(List.of(first.get(), second.get())).containsExactlyInAnyOrder(202, 404);
            }
        }
        assertThat(jdbc.sql("SELECT count(*) FROM queue_tasks").query(Integer.class).single()).isEqualTo(10);
    }

    @Test
    void aPollIsReplayedAsARunOfItsJob() {
        UUID job = UUID.fromString(alice.post("/api/v1/jobs", "{\"url\":\"https://example.com/x\",\"interval\":\"1h\",\"active\":false}")
                .json().get("id").asString());
        UUID id = jdbc.sql("""
                INSERT INTO dead_letters (id, type, job_id, owner_id, queue, payload, error, attempts, first_failed_at, failed_at)
                VALUES (gen_random_uuid(), 'poll', :job, :owner, 'poll', :payload, 'boom', 3, now(), now())
                RETURNING id
                """).param("job", job).param("owner", aliceId).param("payload", PollTask.fire(job, null, true, null).encode())
                .query(UUID.class).single();

        assertThat(alice.post("/api/v1/dead-letters/" + id + "/replay").status()).isEqualTo(202);

        assertThat(jdbc.sql("SELECT run_requested FROM job_schedules WHERE job_id = :job").param("job", job)
                .query(Boolean.class).single()).as("waits for no poll in flight, like a run-now").isTrue();
        assertThat(jdbc.sql("SELECT count(*) FROM queue_tasks").query(Integer.class).single()).isZero();
    }

    @Test
    void aDeadLetterOfAUserOrJobDeletedMeanwhileIsDroppedNotRetriedForever() {
        UUID job = UUID.fromString(alice.post("/api/v1/jobs", "{\"url\":\"https://example.com/x\",\"interval\":\"1h\"}")
                .json().get("id").asString());
        admin().delete("/api/v1/users/" + bobId);
        alice.delete("/api/v1/jobs/" + job);

        boolean bobs = sink.record(new DeadLetterSink.DeadLetter(null, DeadLetterType.MESSAGE, null, bobId, "ingest-0",
                message(bobId, "late"), "boom", 3, Instant.now()));
        boolean jobs = sink.record(new DeadLetterSink.DeadLetter(null, DeadLetterType.POLL, job, aliceId, "poll",
                PollTask.fire(job, null, false, null).encode(), "boom", 3, Instant.now()));

        assertThat(bobs).isFalse();
        assertThat(jobs).isFalse();
        assertThat(jdbc.sql("SELECT count(*) FROM dead_letters").query(Integer.class).single()).isZero();
    }

    @Test
    void deleteRemovesOnlyYourOwn() {
        UUID id = letter("poll", aliceId, "poll", PollTask.fire(UUID.randomUUID(), null, true, null).encode());

        assertThat(bob.delete("/api/v1/dead-letters/" + id).status()).isEqualTo(404);
        assertThat(alice.delete("/api/v1/dead-letters/" + id).status()).isEqualTo(204);
        assertThat(alice.delete("/api/v1/dead-letters/" + id).status()).isEqualTo(404);
    }

    @Test
    void aPayloadThatDoesNotDecodeIsShownAsBase64() {
        letter("poll", aliceId, "poll", new byte[] {(byte) 0xff, 0x01});

        assertThat(alice.get("/api/v1/dead-letters").json().get("items").get(0).get("payload").asString()).isEqualTo("/wE=");
    }

    private static byte[] message(UUID sender, String value) {
        IngestMessage.Builder message = IngestMessage.newBuilder().setId(UUID.randomUUID().toString())
                .setUserId(sender.toString()).setReceivedAt("2026-01-01T00:00:01Z").setTimestamp("2026-01-01T00:00:00Z");
        if (value != null) {
            message.setValue(value);
        }
        return IngestBatch.newBuilder().addMessages(message).build().toByteArray();
    }

    @Autowired
    private DeadLetterSink sink;

    private UUID letter(String type, UUID owner, String queue, byte[] payload) {
        UUID id = io.pollster.system.Ids.next();
        jdbc.sql("""
                INSERT INTO dead_letters (id, type, owner_id, queue, payload, error, attempts, first_failed_at, failed_at)
                VALUES (:id, :type, :owner, :queue, :payload, 'boom', 3, :now, :now)
                """).param("id", id).param("type", type).param("owner", owner).param("queue", queue)
                .param("payload", payload).param("now", Timestamp.from(Instant.now())).update();
        return id;
    }
}
