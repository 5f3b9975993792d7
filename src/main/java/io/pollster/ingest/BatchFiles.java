package io.pollster.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a batch as one JSON Lines file, whole: into a temporary file, forced to disk, then
 * renamed into place, so a reader (or a crash) never sees half a file. Only after this returns
 * are the batch's messages acknowledged.
 *
 * <p>The lines are users' messages: directories are created 0700 and files 0600, with the
 * permissions given at creation (never a chmod after, which would leave a moment in which the
 * umask's wider mode applies).
 */
final class BatchFiles {

    private static final byte NEWLINE = '\n';
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?>[] DIRECTORY = owner("rwx------");
    private static final FileAttribute<?>[] FILE = owner("rw-------");
    private static final Set<StandardOpenOption> CREATE = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

    private final Path root;
    /** Shard directories known to exist: creating one per batch would throw and catch an exception each time. */
    private final Set<Path> created = ConcurrentHashMap.newKeySet();

    BatchFiles(Path root) {
        this.root = root;
    }

    Path write(int shard, String workerId, long seq, List<byte[]> lines) throws IOException {
        Path dir = root.resolve("shard-" + shard);
        if (!created.contains(dir)) {
            created.add(Files.createDirectories(dir, DIRECTORY));
        }
        Path target = dir.resolve(workerId + "-" + seq + ".jsonl");
        Path temp = dir.resolve("." + workerId + "-" + seq + ".jsonl.tmp");
        int size = lines.stream().mapToInt(l -> l.length + 1).sum();
        ByteBuffer buffer = ByteBuffer.allocate(size);
        lines.forEach(line -> buffer.put(line).put(NEWLINE));
        buffer.flip();
        try {
            // a temporary file left by a crash may have other permissions: start from a new one
            Files.deleteIfExists(temp);
            try (FileChannel out = FileChannel.open(temp, CREATE, FILE)) {
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            created.remove(dir); // perhaps the directory went: the next batch creates it again
            throw e;
        }
        syncDirectory(dir);
        return target;
    }

    /** Owner-only permissions where the file system has them (not on Windows). */
    private static FileAttribute<?>[] owner(String permissions) {
        if (!POSIX) {
            return new FileAttribute<?>[0];
        }
        Set<PosixFilePermission> set = PosixFilePermissions.fromString(permissions);
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(set)};
    }

    /** Makes the rename itself durable. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException ignoredOnFileSystemsThatCannot) {
            // some file systems refuse to open a directory; the rename is still atomic there
        }
    }
}
