package io.pollster.system;

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
import java.util.UUID;

/**
 * Writes lines as one file, whole: into a temporary file beside it, forced to disk, then renamed
 * into place, so a reader (or a crash) never sees half a file. The lines are users' data:
 * directories are created 0700 and files 0600, with the permissions given at creation (never a
 * chmod after, which would leave a moment in which the umask's wider mode applies).
 */
public final class LineFiles {

    private static final byte NEWLINE = '\n';
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?>[] DIRECTORY = owner("rwx------");
    private static final FileAttribute<?>[] FILE = owner("rw-------");
    private static final Set<StandardOpenOption> CREATE = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

    private LineFiles() {
    }

    /** Creates the directory and its missing parents, owner-only. */
    public static Path createDirectories(Path dir) throws IOException {
        return Files.createDirectories(dir, DIRECTORY);
    }

    /** Writes {@code lines}, each ended by a newline, as {@code dir/name}, replacing a file of that name. */
    public static Path writeWhole(Path dir, String name, List<byte[]> lines) throws IOException {
        Path target = dir.resolve(name);
        // why: its own temporary name, so that two writers of one name (a retry beside a slow first try) never share one
        Path temp = dir.resolve("." + name + "." + UUID.randomUUID() + ".tmp");
        long size = lines.stream().mapToLong(l -> l.length + 1L).sum();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException("a file of " + size + " bytes is more than one write takes");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) size);
        lines.forEach(line -> buffer.put(line).put(NEWLINE));
        buffer.flip();
        try {
            try (FileChannel out = FileChannel.open(temp, CREATE, FILE)) {
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
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
