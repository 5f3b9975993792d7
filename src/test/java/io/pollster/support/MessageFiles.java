package io.pollster.support;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The complete batch files under {@code <dataDir>/messages/shard-*}. A batch is written under a
 * hidden temporary name and renamed whole, so a walk that stats every entry can meet a temporary
 * file that is gone a moment later; listing each shard directory by name never does.
 */
public final class MessageFiles {

    private MessageFiles() {
    }

    public static List<Path> under(Path messages) throws IOException {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(messages)) {
            return files;
        }
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(messages, "shard-*")) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> batches = Files.newDirectoryStream(shard, p -> {
                    String name = p.getFileName().toString();
                    return !name.startsWith(".") && name.endsWith(".jsonl");
                })) {
                    batches.forEach(files::add);
                }
            }
        }
        return files;
    }
}
