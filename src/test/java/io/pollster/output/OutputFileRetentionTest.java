package io.pollster.output;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/** A user's output files stay within their age and byte bounds, oldest deleted first, the newest never. */
class OutputFileRetentionTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final UUID OWNER = UUID.randomUUID();

    @TempDir
    Path userRoot;

    private Path file(String dir, String name, int bytes, Duration age) throws Exception {
        Path folder = Files.createDirectories(userRoot.resolve(dir));
        Path file = Files.write(folder.resolve(name), new byte[bytes]);
        Files.setLastModifiedTime(file, FileTime.from(NOW.minus(age)));
        return file;
    }

    private static OutputFileRetention retention(long maxBytes, Duration maxAge) {
        return new OutputFileRetention(new OutputFileProperties(DataSize.ofBytes(maxBytes), maxAge, Duration.ofMinutes(1)),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void filesPastTheAgeAreDeletedAndTheRestStay() throws Exception {
        Path old = file("a", "job-1.jsonl", 10, Duration.ofDays(31));
        Path recent = file("b/c", "job-2.jsonl", 10, Duration.ofDays(2));
        Path written = file("a", "job-3.jsonl", 10, Duration.ZERO);

        assertThat(retention(1_000, Duration.ofDays(30)).afterWrite(OWNER, userRoot, written)).isEqualTo(1);
        assertThat(old).doesNotExist();
        assertThat(recent).exists();
        assertThat(written).exists();
    }

    @Test
    void theOldestFilesGoWhileTheUsersFilesPassTheirBytesNeverTheOneJustWritten() throws Exception {
        Path first = file("a", "job-1.jsonl", 400, Duration.ofHours(3));
        Path second = file("b", "job-2.jsonl", 400, Duration.ofHours(2));
        Path third = file("a", "job-3.jsonl", 400, Duration.ofHours(1));
        Path written = file("a", "job-4.jsonl", 2_000, Duration.ZERO);

        retention(1_000, Duration.ofDays(30)).afterWrite(OWNER, userRoot, written);
        assertThat(first).doesNotExist();
        assertThat(second).doesNotExist();
        assertThat(third).doesNotExist();
        assertThat(written).as("the newest file stays, even alone past the bound").exists();
    }

    @Test
    void aFolderIsLookedThroughAtMostOncePerInterval() throws Exception {
        OutputFileRetention retention = retention(100, Duration.ofDays(30));
        Path written = file("a", "job-1.jsonl", 50, Duration.ZERO);
        assertThat(retention.afterWrite(OWNER, userRoot, written)).isZero();
        Path more = file("a", "job-2.jsonl", 80, Duration.ZERO);
        assertThat(retention.afterWrite(OWNER, userRoot, more)).as("pruned a moment ago").isZero();
        assertThat(written).exists();
    }
}
