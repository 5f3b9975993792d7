package io.pollster.ingest;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Which shard a message belongs to: a stable hash of its key (its timestamp when it has none). */
final class Shards {

    private Shards() {
    }

    static int of(String key, int shards) {
        CRC32C crc = new CRC32C();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % shards);
    }

    static String queue(int shard) {
        return "ingest-" + shard;
    }
}
