package io.pollster.transport.rabbit;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.UUID;

import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.TaskHandler;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Records a message that has run out of attempts as a dead letter. Its id comes from the message
 * id, so a message recorded twice (its acknowledgement was lost in a crash) is still one dead letter.
 */
final class RabbitDeadLetters {

    private final DeadLetterSink sink;
    private final TransactionTemplate tx;
    private final Clock clock;

    RabbitDeadLetters(DeadLetterSink sink, TransactionTemplate tx, Clock clock) {
        this.sink = sink;
        this.tx = tx;
        this.clock = clock;
    }

    /** The handler closes the task's progress and the dead letter is written, in one transaction. */
    void record(String queue, String messageId, TaskHandler handler, byte[] payload, String error, int attempts) {
        UUID id = messageId == null ? null : UUID.nameUUIDFromBytes((queue + "\n" + messageId).getBytes(StandardCharsets.UTF_8));
        tx.executeWithoutResult(status -> sink.record(DeadLetterSink.DeadLetter.of(id, handler.abandon(payload, error), queue,
                payload, error, attempts, clock.instant())));
    }
}
