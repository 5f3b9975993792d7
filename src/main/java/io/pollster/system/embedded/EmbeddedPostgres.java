package io.pollster.system.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pollster.system.SecretFiles;
import io.zonky.test.db.postgres.util.LinuxUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.util.FileSystemUtils;

/**
 * A PostgreSQL server whose data lives in Pollster's data directory and outlives the process.
 *
 * <p>Why not zonky's {@code EmbeddedPostgres} class (we do use its binaries): it is made for tests —
 * it starts postgres with fsync off, and registers a JVM shutdown hook of its own that stops the
 * server while Spring is still draining work in its own hook. Here the server is stopped by Spring,
 * after everything that uses the database, with durable writes.
 *
 * <p>One process owns a data directory at a time ({@code postgres.lock}). A server left running by
 * a Pollster that was killed with SIGKILL is stopped before the new one starts.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);
    private static final String SUPERUSER = "pollster";
    private static final String DATABASE = "postgres";

    private final Path binDir;
    private final Path pgData;
    private final Duration timeout;
    private final int port;
    private final String password;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedPostgres(Path binDir, Path pgData, Duration timeout, int port, String password,
                             FileChannel lockChannel, FileLock lock) {
        this.binDir = binDir;
        this.pgData = pgData;
        this.timeout = timeout;
        this.port = port;
        this.password = password;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Starts (initialising on first use) the server whose files live under {@code dataDir}. */
    public static EmbeddedPostgres start(Path dataDir, int requestedPort, Duration timeout) throws IOException {
        Files.createDirectories(dataDir);
        FileChannel lockChannel = FileChannel.open(dataDir.resolve("postgres.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException sameProcess) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("Another Pollster process is using the embedded database in " + dataDir
                    + ": stop it, or point POLLSTER_DATA_DIR at another directory");
        }
        try {
            Path binDir = PostgresBinaries.install(dataDir.resolve("postgres-bin")).resolve("bin");
            Path pgData = dataDir.resolve("postgres");
            Path passwordFile = dataDir.resolve("postgres-password");
            if (!Files.exists(pgData.resolve("PG_VERSION"))) {
                initdb(binDir, pgData, passwordFile, timeout);
            }
            String password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
            int port = requestedPort > 0 ? requestedPort : freePort();
            EmbeddedPostgres server = new EmbeddedPostgres(binDir, pgData, timeout, port, password, lockChannel, lock);
            server.stopOrphan();
            server.startServer(dataDir.resolve("postgres.log"));
            return server;
        } catch (IOException | RuntimeException e) {
            lock.release();
            lockChannel.close();
            throw e;
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public String username() {
        return SUPERUSER;
    }

    public String password() {
        return password;
    }

    public int port() {
        return port;
    }

    /** Stops the server (fast mode: open sessions are ended, committed work is on disk). Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed.getAndSet(true)) {
            return;
        }
        try {
            Optional<ProcessHandle> postmaster = postmaster();
            pgCtl(List.of("stop", "-D", pgData.toString(), "-m", "fast", "-w", "-t", seconds(timeout)));
            // why: the postmaster deletes its pid file (which pg_ctl waits for) a moment before it exits
            postmaster.ifPresent(p -> awaitExit(p, Duration.ofSeconds(10)));
            log.info("Embedded PostgreSQL stopped");
        } finally {
            lock.release();
            lockChannel.close();
        }
    }

    private static void initdb(Path binDir, Path pgData, Path passwordFile, Duration timeout) throws IOException {
        log.info("Creating the embedded PostgreSQL database in {}", pgData);
        Path staging = pgData.resolveSibling(pgData.getFileName() + ".init");
        FileSystemUtils.deleteRecursively(staging);
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        Path pwFile = SecretFiles.write(pgData.resolveSibling(".initdb-password"), password);
        try {
            run(binDir.resolve("initdb"), List.of("-D", staging.toString(), "-U", SUPERUSER, "--pwfile=" + pwFile,
                    "-A", "scram-sha-256", "-E", "UTF8", "--no-locale"), timeout);
        } finally {
            Files.deleteIfExists(pwFile);
        }
        SecretFiles.write(passwordFile, password);
        Files.move(staging, pgData);
    }

    /** A server that a SIGKILLed Pollster left behind still holds the data directory: stop it. */
    private void stopOrphan() throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        Optional<ProcessHandle> process = postmaster();
        if (process.isEmpty()) {
            return; // no pid file, or a stale one: postgres itself recognises that
        }
        long pid = process.get().pid();
        boolean isPostgres = process.get().info().command().map(c -> c.endsWith("/postgres")).orElse(true);
        if (!isPostgres) {
            log.warn("Removing a stale {}: pid {} now belongs to another program", pidFile, pid);
            Files.deleteIfExists(pidFile);
            return;
        }
        log.warn("Stopping the embedded PostgreSQL (pid {}) left running by an earlier Pollster that did not shut down", pid);
        try {
            pgCtl(List.of("stop", "-D", pgData.toString(), "-m", "fast", "-w", "-t", seconds(timeout)));
        } catch (IOException e) {
            log.warn("pg_ctl could not stop pid {}; killing it", pid, e);
            process.get().destroyForcibly();
        }
        awaitExit(process.get(), timeout);
    }

    /** The running postmaster of this data directory, from its pid file. */
    private Optional<ProcessHandle> postmaster() throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        } catch (RuntimeException unreadable) {
            log.warn("Removing the unreadable {}", pidFile);
            Files.deleteIfExists(pidFile);
            return Optional.empty();
        }
    }

    private static void awaitExit(ProcessHandle process, Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("PostgreSQL (pid {}) has not exited after {}", process.pid(), timeout);
        }
    }

    private void startServer(Path logFile) throws IOException {
        String options = String.join(" ",
                "-c port=" + port,
                "-c listen_addresses=127.0.0.1",
                "-c unix_socket_directories=''",
                "-c fsync=on",
                "-c synchronous_commit=on");
        pgCtl(List.of("start", "-D", pgData.toString(), "-l", logFile.toString(), "-w", "-t", seconds(timeout),
                "-o", options));
        log.info("Embedded PostgreSQL listening on 127.0.0.1:{} (data in {}, log in {})", port, pgData, logFile);
    }

    private void pgCtl(List<String> args) throws IOException {
        run(binDir.resolve("pg_ctl"), args, timeout.plusSeconds(10));
    }

    private static void run(Path program, List<String> args, Duration timeout) throws IOException {
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            // why: postgres refuses to run as root; in a fresh user namespace root is an unprivileged user
            command.addAll(List.of("unshare", "-U"));
        }
        command.add(program.toString());
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output;
            try (var in = process.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(program.getFileName() + " did not finish within " + timeout);
            }
            if (process.exitValue() != 0) {
                throw new IOException(program.getFileName() + " " + String.join(" ", args) + " failed (exit "
                        + process.exitValue() + "):\n" + output.strip() + rootHint());
            }
            log.debug("{}: {}", program.getFileName(), output.strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("Interrupted while running " + program.getFileName(), e);
        }
    }

    private static String rootHint() {
        boolean root = "root".equals(System.getProperty("user.name"));
        return root && !LinuxUtils.isUnshareAvailable()
                ? "\nPostgreSQL does not run as root and 'unshare -U' is not available here: run Pollster as another"
                        + " user, or set SPRING_DATASOURCE_URL to use an external PostgreSQL"
                : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String seconds(Duration duration) {
        return Long.toString(Math.max(1, duration.toSeconds()));
    }
}
