package io.pollster.output;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.pollster.job.OutputSecretStore;
import io.pollster.system.secret.SecretBox;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The {@code job_outputs} rows of a job as its definition makes them: one per output, with the
 * output's signing secret sealed (bound to the job and the position). The job API writes them
 * with the definition; senders read the secret and keep the rest of the row ({@link Deliveries}).
 */
@Repository
class OutputSecrets implements OutputSecretStore {

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

    private final JdbcClient jdbc;
    private final SecretBox box;

    OutputSecrets(JdbcClient jdbc, SecretBox box) {
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

    private static byte[] boundTo(UUID jobId, int output) {
        return ("job_outputs.secret/" + jobId + "/" + output).getBytes(StandardCharsets.UTF_8);
    }
}
