package io.pollster.ingest;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pollster.transport.Transport;
import io.pollster.user.Caller;
import org.springframework.stereotype.Service;

/** Accepts a validated batch: when this returns, every message is durably on its shard's queue. */
@Service
class IngestService {

    private final Transport transport;
    private final IngestProperties properties;
    private final Clock clock;

    IngestService(Transport transport, IngestProperties properties, Clock clock) {
        this.transport = transport;
        this.properties = properties;
        this.clock = clock;
    }

    /**
     * One durable hand-over for the whole request, not a round trip per message: one queue entry
     * per shard holding that shard's messages, on PostgreSQL in one transaction, on RabbitMQ in
     * one confirmed publish window.
     */
    int accept(Caller caller, List<MessageParser.Message> messages) {
        List<List<MessageParser.Message>> byShard = new ArrayList<>();
        for (int i = 0; i < properties.shards(); i++) {
            byShard.add(new ArrayList<>());
        }
        for (MessageParser.Message message : messages) {
            byShard.get(Shards.of(message.shardKey(), properties.shards())).add(message);
        }
        String receivedAt = clock.instant().toString();
        Map<String, List<byte[]>> byQueue = new LinkedHashMap<>();
        for (int shard = 0; shard < byShard.size(); shard++) {
            if (!byShard.get(shard).isEmpty()) {
                byQueue.put(Shards.queue(shard), List.of(IngestMessages.batch(caller, byShard.get(shard), receivedAt)));
            }
        }
        transport.send(byQueue);
        return messages.size();
    }
}
