package io.pollster.ingest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.pollster.system.LineFiles;

/**
 * Writes a shard's batch as one JSON Lines file, whole ({@link LineFiles}): a reader (or a crash)
 * never sees half a file. Only after this returns are the batch's messages acknowledged.
 */
final class BatchFiles {

    private final Path root;
    /** Shard directories known to exist: creating one per batch would throw and catch an exception each time. */
    private final Set<Path> created = ConcurrentHashMap.newKeySet();

    BatchFiles(Path root) {
        this.root = root;
    }

    Path write(int shard, String workerId, long seq, List<byte[]> lines) throws IOException {
        Path dir = root.resolve("shard-" + shard);
        if (!created.contains(dir)) {
            created.add(LineFiles.createDirectories(dir));
        }
        try {
            return LineFiles.writeWhole(dir, workerId + "-" + seq + ".jsonl", lines);
        } catch (IOException e) {
            created.remove(dir); // perhaps the directory went: the next batch creates it again
            throw e;
        }
    }
}
