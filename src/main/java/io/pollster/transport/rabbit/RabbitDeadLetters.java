package io.pollster.transport.rabbit;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.UUID;

import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.TaskHandler;

/**
 * Records a message that has run out of attempts as a dead letter. Its id comes from the message
 * id, so a message recorded twice (its acknowledgement was lost in a crash) is still one dead letter.
 */
final class RabbitDeadLetters {

    private final DeadLetterSink sink;
    private final Clock clock;

    RabbitDeadLetters(DeadLetterSink sink, Clock clock) {
        this.sink = sink;
        this.clock = clock;
    }

    void record(String queue, String messageId, TaskHandler.DeadLetterInfo info, byte[] payload, String error, int attempts) {
        UUID id = messageId == null ? null : UUID.nameUUIDFromBytes((queue + "\n" + messageId).getBytes(StandardCharsets.UTF_8));
        sink.record(DeadLetterSink.DeadLetter.of(id, info, queue, payload, error, attempts, clock.instant()));
    }
}
