package io.pollster.output;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

import io.pollster.system.LineFiles;
import io.pollster.system.PollsterProperties;
import org.springframework.stereotype.Component;

/**
 * Where file outputs write: {@code <dataDir>/outputs/<userId>/<dir>/}, one JSON Lines file per
 * batch of a job's events, named after the job and the batch's first event (ids grow with time, so
 * a job's files sort in event order), written whole. A user's directory is named by the server,
 * and an output's {@code dir} was checked when it was saved to stay inside it; checked again here.
 * A user's files are kept within {@link OutputFileProperties} (age, bytes), oldest deleted first.
 */
@Component
class OutputFiles {

    private final Path root;
    private final OutputFileRetention retention;

    OutputFiles(PollsterProperties pollster, OutputFileProperties limits, Clock clock) {
        this.root = pollster.dataDir().resolve("outputs").toAbsolutePath().normalize();
        this.retention = new OutputFileRetention(limits, clock);
    }

    Path write(UUID owner, String dir, UUID jobId, UUID firstEventId, List<byte[]> lines) throws IOException {
        Path userRoot = root.resolve(owner.toString());
        Path target = userRoot.resolve(dir).normalize();
        if (!target.startsWith(userRoot)) {
            throw new IOException("output directory " + dir + " leaves its owner's folder");
        }
        LineFiles.createDirectories(target);
        Path written = LineFiles.writeWhole(target, jobId + "-" + firstEventId + ".jsonl", lines);
        retention.afterWrite(owner, userRoot, written);
        return written;
    }
}
