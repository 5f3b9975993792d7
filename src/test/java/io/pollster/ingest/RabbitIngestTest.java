package io.pollster.ingest;

import org.springframework.test.context.TestPropertySource;

/** Every ingest scenario again, with the shard queues on RabbitMQ. */
@TestPropertySource(properties = {"pollster.transport=rabbitmq", "pollster.queue.prefix=ingest-rabbit."})
class RabbitIngestTest extends IngestTest {
}
