package io.pollster.poll;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.pollster.job.JobId;
import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Quiet polls (unchanged, not modified) are recorded together, with the same folding as one by one. */
class QuietPollsTest extends IntegrationTest {

    @Autowired
    private QuietPolls quietPolls;
    @Autowired
    private JdbcClient jdbc;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @Test
    void pollsOfManyJobsAreRecordedTogetherAndTwoOfOneJobBothCount() throws Exception {
        List<JobId> jobs = List.of(job(), job(), job());
        Instant t = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<PollRecord> polls = List.of(quiet(jobs.get(0), t, PollOutcome.UNCHANGED), quiet(jobs.get(0), t.plusMillis(1), PollOutcome.UNCHANGED),
                quiet(jobs.get(1), t, PollOutcome.UNCHANGED), quiet(jobs.get(2), t, PollOutcome.NOT_MODIFIED));

        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> recorded = new ArrayList<>();
            polls.forEach(p -> recorded.add(threads.submit(() -> quietPolls.record(p))));
            for (Future<?> f : recorded) {
                f.get();
            }
        }

        assertThat(column(jobs.get(0), "polls")).isEqualTo(2);
        assertThat(column(jobs.get(0), "fold_count")).as("the same outcome folds").isEqualTo(2);
        assertThat(column(jobs.get(1), "polls")).isEqualTo(1);
        assertThat(jdbc.sql("SELECT last_outcome FROM job_polls WHERE job_id = :id").param("id", jobs.get(2).value())
                .query(String.class).single()).isEqualTo("not_modified");
        assertThat(jdbc.sql("SELECT etag FROM job_polls WHERE job_id = :id").param("id", jobs.get(1).value())
                .query(String.class).single()).isEqualTo("\"e1\"");
        assertThat(jdbc.sql("SELECT count(*) FROM polls").query(Integer.class).single()).as("nothing closed yet").isZero();
    }

    @Test
    void anotherOutcomeClosesTheOpenHistoryEntryAsOneByOneWould() {
        JobId job = job();
        Instant t = Instant.now().truncatedTo(ChronoUnit.MICROS);
        quietPolls.record(quiet(job, t, PollOutcome.UNCHANGED));
        quietPolls.record(quiet(job, t.plusSeconds(1), PollOutcome.UNCHANGED));
        quietPolls.record(quiet(job, t.plusSeconds(2), PollOutcome.NOT_MODIFIED));

        var history = alice.get("/api/v1/jobs/" + job.value() + "/polls").json().get("items");
        assertThat(history).hasSize(2);
        assertThat(history.get(0).get("outcome").asString()).isEqualTo("not_modified");
        assertThat(history.get(1).get("outcome").asString()).isEqualTo("unchanged");
        assertThat(history.get(1).get("count").asInt()).isEqualTo(2);
        assertThat(Instant.parse(history.get(1).get("lastAt").asString())).isEqualTo(t.plusSeconds(1));
    }

    @Test
    void aPollRecordedOnceTheWriterHasStoppedIsWrittenAtOnce() {
        JobId job = job();
        quietPolls.stop();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> quietPolls.record(quiet(job, Instant.now(), PollOutcome.UNCHANGED)),
                    "not left waiting for a writer that is gone");
        } finally {
            quietPolls.start();
        }
        assertThat(column(job, "polls")).isEqualTo(1);
    }

    private PollRecord quiet(JobId job, Instant startedAt, PollOutcome outcome) {
        long version = column(job, "version");
        return new PollRecord(job, version, null, startedAt, 12, outcome == PollOutcome.NOT_MODIFIED ? 304 : 200, outcome,
                1, null, null, new PollRecord.Validators("\"e1\"", null), null, false);
    }

    private JobId job() {
        Api.Response created = alice.post("/api/v1/jobs", "{\"url\":\"https://example.com/x\",\"interval\":\"1h\",\"active\":false}");
        return new JobId(UUID.fromString(created.json().get("id").asString()));
    }

    private long column(JobId job, String column) {
        return jdbc.sql("SELECT " + column + " FROM jobs j JOIN job_polls p ON p.job_id = j.id WHERE j.id = :id").param("id", job.value()).query(Long.class).single();
    }
}
