package io.pollster.transport.rabbit;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.transport.TaskHandler;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Records a message that has run out of attempts in {@code dead_letters}, where the API shows it
 * to its owner. The row's id comes from the message id, so a message recorded twice (its
 * acknowledgement was lost in a crash) is still one dead letter.
 */
final class RabbitDeadLetters {

    private static final String RECORD = """
            INSERT INTO dead_letters (id, type, job_id, owner_id, queue, payload, error, attempts, failed_at)
            VALUES (:id, :type, :jobId, :ownerId, :queue, :payload, :error, :attempts, :now)
            ON CONFLICT (id) DO NOTHING
            """;

    private final JdbcClient jdbc;
    private final Clock clock;
    private final MeterRegistry meters;

    RabbitDeadLetters(JdbcClient jdbc, Clock clock, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.meters = meters;
    }

    void record(String queue, String messageId, TaskHandler.DeadLetterInfo info, byte[] payload, String error, int attempts) {
        UUID id = messageId == null ? UUID.randomUUID()
                : UUID.nameUUIDFromBytes((queue + "\n" + messageId).getBytes(StandardCharsets.UTF_8));
        int inserted = jdbc.sql(RECORD)
                .param("id", id)
                .param("type", info.type())
                .param("jobId", info.jobId())
                .param("ownerId", info.ownerId())
                .param("queue", queue)
                .param("payload", payload)
                .param("error", error.length() > 2000 ? error.substring(0, 2000) : error)
                .param("attempts", attempts)
                .param("now", Timestamp.from(clock.instant()))
                .update();
        if (inserted == 1) {
            meters.counter("pollster.dead.letters", "type", info.type()).increment();
        }
    }
}
