package io.pollster.ingest;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import io.pollster.system.Ids;
import io.pollster.transport.Transport;
import io.pollster.user.Caller;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Accepts a validated batch: every message is on its shard's queue when this returns, or none is. */
@Service
class IngestService {

    private final Transport transport;
    private final IngestProperties properties;
    private final JsonMapper json;
    private final Clock clock;

    IngestService(Transport transport, IngestProperties properties, JsonMapper json, Clock clock) {
        this.transport = transport;
        this.properties = properties;
        this.json = json;
        this.clock = clock;
    }

    /** One transaction for the whole request: one multi-row insert per shard, not a round trip per message. */
    @Transactional
    int accept(Caller caller, List<MessageParser.Message> messages) {
        List<List<byte[]>> byShard = new ArrayList<>();
        for (int i = 0; i < properties.shards(); i++) {
            byShard.add(new ArrayList<>());
        }
        String receivedAt = clock.instant().toString();
        for (MessageParser.Message message : messages) {
            byShard.get(Shards.of(message.shardKey(), properties.shards())).add(line(caller, message, receivedAt));
        }
        for (int shard = 0; shard < byShard.size(); shard++) {
            transport.enqueue(Shards.queue(shard), byShard.get(shard));
        }
        return messages.size();
    }

    /** The line as it will be written: the message as sent, plus who sent it, an id and when it came. */
    private byte[] line(Caller caller, MessageParser.Message message, String receivedAt) {
        ObjectNode line = json.createObjectNode();
        line.put("id", Ids.next().toString());
        line.put("userId", caller.userId().toString());
        line.put("receivedAt", receivedAt);
        line.put("timestamp", message.timestamp());
        if (message.value() != null) {
            line.put("value", message.value());
        }
        if (message.key() != null) {
            line.put("key", message.key());
        }
        return json.writeValueAsBytes(line);
    }
}
