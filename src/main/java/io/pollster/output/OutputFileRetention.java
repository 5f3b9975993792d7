package io.pollster.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a user's output files within {@link OutputFileProperties}: files past the age go, then the
 * oldest while the folder holds more than its bytes. A user's folder is looked through at most
 * every {@code pruneEvery} per node, after a write into it.
 */
final class OutputFileRetention {

    private static final Logger log = LoggerFactory.getLogger(OutputFileRetention.class);

    private final OutputFileProperties limits;
    private final Clock clock;
    private final Map<UUID, Instant> lastPruned = new ConcurrentHashMap<>();

    OutputFileRetention(OutputFileProperties limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
    }

    private record Kept(Path path, Instant modified, long size) {
    }

    /** Prunes the owner's folder unless it was pruned lately; {@code written} is never deleted. Returns the files deleted. */
    int afterWrite(UUID owner, Path userRoot, Path written) {
        Instant now = clock.instant();
        Instant last = lastPruned.get(owner);
        if (last != null && last.plus(limits.pruneEvery()).isAfter(now)) {
            return 0;
        }
        lastPruned.put(owner, now);
        List<Kept> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(userRoot)) {
            walk.filter(p -> p.getFileName().toString().endsWith(".jsonl")).forEach(p -> {
                try {
                    BasicFileAttributes attributes = Files.readAttributes(p, BasicFileAttributes.class);
                    if (attributes.isRegularFile()) {
                        files.add(new Kept(p, attributes.lastModifiedTime().toInstant(), attributes.size()));
                    }
                } catch (IOException gone) {
                    // deleted meanwhile
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("Could not look through the output files of user {}: {}", owner, e.getMessage());
            return 0;
        }
        files.sort(Comparator.comparing(Kept::modified).thenComparing(k -> k.path().getFileName().toString()));
        long total = files.stream().mapToLong(Kept::size).sum();
        Instant cutoff = now.minus(limits.maxAge());
        int deleted = 0;
        for (Kept file : files) {
            boolean old = file.modified().isBefore(cutoff);
            if (file.path().equals(written) || (!old && total <= limits.maxBytesPerUser().toBytes())) {
                continue;
            }
            try {
                Files.deleteIfExists(file.path());
                total -= file.size();
                deleted++;
            } catch (IOException e) {
                log.warn("Could not delete the old output file {}: {}", file.path(), e.getMessage());
            }
        }
        if (deleted > 0) {
            log.info("Deleted {} output files of user {} (older than {} or beyond {} in all)", deleted, owner,
                    limits.maxAge(), limits.maxBytesPerUser());
        }
        return deleted;
    }
}
