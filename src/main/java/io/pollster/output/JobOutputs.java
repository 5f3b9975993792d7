package io.pollster.output;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.pollster.job.OutputSecretStore;
import io.pollster.job.OutputStates;
import io.pollster.system.secret.SecretBox;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The {@code job_outputs} table: per output of a job, its signing secret (sealed, bound to the job
 * and the position), written with the job's definition; the recent sends of its rate window; and
 * whether its receiver stopped it (410 Gone).
 */
@Repository
class JobOutputs implements OutputSecretStore, OutputStates {

    private static final String FIND = """
            SELECT output, secret
            FROM job_outputs
            WHERE job_id = :jobId
            ORDER BY output
            """;

    private static final String DROP_BEYOND = "DELETE FROM job_outputs WHERE job_id = :jobId AND output >= :count";

    /** A saved output starts afresh: a stop (410 Gone) is lifted, its rate window kept. */
    private static final String UPSERT = """
            INSERT INTO job_outputs (job_id, output, secret)
            VALUES (:jobId, :output, :secret)
            ON CONFLICT (job_id, output) DO UPDATE
            SET secret = EXCLUDED.secret, stopped_at = NULL, stopped_reason = NULL
            """;

    /** One send of the output's window, if the window has room: the sends of the last {@code per}, at most {@code limit}. */
    private static final String TAKE_SEND = """
            UPDATE job_outputs
            SET sends = (sends || now())[greatest(1, cardinality(sends) + 2 - :limit):]
            WHERE job_id = :jobId AND output = :output
              AND (cardinality(sends) < :limit OR sends[cardinality(sends) + 1 - :limit] <= now() - make_interval(secs => :perSeconds))
            RETURNING output
            """;

    /** When the output's window has room again. */
    private static final String WINDOW_OPENS = """
            SELECT sends[cardinality(sends) + 1 - :limit] + make_interval(secs => :perSeconds)
            FROM job_outputs
            WHERE job_id = :jobId AND output = :output
            """;

    private static final String STOP = """
            UPDATE job_outputs
            SET stopped_at = now(), stopped_reason = :reason
            WHERE job_id = :jobId AND output = :output
            """;

    private static final String STOPPED = """
            SELECT output, stopped_at, stopped_reason
            FROM job_outputs
            WHERE job_id = :jobId AND stopped_at IS NOT NULL
            ORDER BY output
            """;

    private final JdbcClient jdbc;
    private final SecretBox box;

    JobOutputs(JdbcClient jdbc, SecretBox box) {
        this.jdbc = jdbc;
        this.box = box;
    }

    @Override
    public List<String> find(UUID jobId) {
        List<String> secrets = new ArrayList<>();
        jdbc.sql(FIND).param("jobId", jobId).query((rs, n) -> {
            int output = rs.getInt("output");
            byte[] sealed = rs.getBytes("secret");
            while (secrets.size() < output) {
                secrets.add(null);
            }
            secrets.add(sealed == null ? null : open(jobId, output, sealed));
            return null;
        }).list();
        return secrets;
    }

    @Override
    public void replace(UUID jobId, List<String> secrets) {
        jdbc.sql(DROP_BEYOND).param("jobId", jobId).param("count", secrets.size()).update();
        for (int output = 0; output < secrets.size(); output++) {
            String secret = secrets.get(output);
            jdbc.sql(UPSERT).param("jobId", jobId).param("output", output)
                    .param("secret", secret == null ? null : box.seal(secret.getBytes(StandardCharsets.UTF_8), boundTo(jobId, output)))
                    .update();
        }
    }

    /** @throws io.pollster.system.secret.UnreadableSecretException when it does not open */
    String open(UUID jobId, int output, byte[] sealed) {
        return new String(box.open(sealed, boundTo(jobId, output)), StandardCharsets.UTF_8);
    }

    /**
     * Takes one send from the output's window, in the caller's transaction (which locks the
     * output's row until it commits, so two senders never both take the last one); empty when it
     * had room, else when it opens.
     */
    Optional<Instant> takeSend(UUID jobId, int output, int limit, Duration per) {
        boolean taken = !jdbc.sql(TAKE_SEND).param("jobId", jobId).param("output", output).param("limit", limit)
                .param("perSeconds", per.toMillis() / 1000.0).query().listOfRows().isEmpty();
        if (taken) {
            return Optional.empty();
        }
        return Optional.of(jdbc.sql(WINDOW_OPENS).param("jobId", jobId).param("output", output).param("limit", limit)
                .param("perSeconds", per.toMillis() / 1000.0).query(Timestamp.class).single().toInstant());
    }

    /** The receiver asked to stop: nothing more is sent to the output until the job's outputs are saved again. */
    void stop(UUID jobId, int output, String reason) {
        jdbc.sql(STOP).param("jobId", jobId).param("output", output).param("reason", reason).update();
    }

    @Override
    public List<Stopped> stopped(UUID jobId) {
        return jdbc.sql(STOPPED).param("jobId", jobId)
                .query((rs, n) -> new Stopped(rs.getInt("output"), rs.getTimestamp("stopped_at").toInstant(),
                        rs.getString("stopped_reason")))
                .list();
    }

    private static byte[] boundTo(UUID jobId, int output) {
        return ("job_outputs.secret/" + jobId + "/" + output).getBytes(StandardCharsets.UTF_8);
    }
}
