package io.pollster.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.util.FileSystemUtils;

/** A scratch folder under target/ for this test run, removed when the run ends. */
public final class TestDirs {

    private static Path runDir;

    private TestDirs() {
    }

    public static synchronized Path runDir() {
        if (runDir == null) {
            try {
                Path target = Path.of("target").toAbsolutePath();
                Files.createDirectories(target);
                runDir = Files.createTempDirectory(target, "test-run-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path dir = runDir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> FileSystemUtils.deleteRecursively(dir.toFile())));
        }
        return runDir;
    }

    public static Path newDir(String prefix) {
        try {
            return Files.createTempDirectory(runDir(), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
