package io.pollster.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pollster.PollsterApplication;

import static org.awaitility.Awaitility.await;

/**
 * Pollster as a child process (same JVM binary and classpath as the tests), for what only a real
 * process shows: embedded PostgreSQL across restarts, SIGTERM and SIGKILL.
 */
public final class PollsterProcess implements AutoCloseable {

    /** A {@code POLLSTER_SECRET_KEY} that passes the key policy, for processes that must share one. */
    public static final String SECRET_KEY = "XzqcLnHQS4qm4sP5GA17TipsXZ8D4bekjC9uDZsaPFc=";

    private static final List<String> INHERITED_SETTINGS_TO_DROP = List.of(
            "SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD",
            "POLLSTER_ADMIN_TOKEN", "POLLSTER_SECRET_KEY", "POLLSTER_LEGACY_SECRET_KEY", "POLLSTER_DATA_DIR", "SERVER_PORT");

    private final Process process;
    private final Path logFile;
    private final int port;

    private PollsterProcess(Process process, Path logFile, int port) {
        this.process = process;
        this.logFile = logFile;
        this.port = port;
    }

    /**
     * What a test process needs to share a database with others: the database, an admin token, the
     * shared secret key, loopback upstreams allowed; plus {@code extra} settings.
     */
    public static Map<String, String> sharedEnv(TestDatabase db, String adminToken, String... extra) {
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "SPRING_DATASOURCE_URL", db.url(),
                "SPRING_DATASOURCE_USERNAME", db.username(),
                "SPRING_DATASOURCE_PASSWORD", db.password(),
                "POLLSTER_ADMIN_TOKEN", adminToken,
                "POLLSTER_SECRET_KEY", SECRET_KEY,
                "POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS", "true",
                // two test JVMs, their contexts and up to three processes each share the local PostgreSQL's 100 connections
                "SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE", "8",
                "SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE", "1"));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    /**
     * Starts Pollster with {@code env} on top of this environment (minus Pollster's own settings),
     * compiled by C1 only: it starts in about two thirds of the time, and these processes live for
     * seconds. A test that measures throughput uses {@link #startOptimized}.
     */
    public static PollsterProcess start(Path dataDir, Map<String, String> env) {
        return start(dataDir, env, List.of("-XX:TieredStopAtLevel=1"));
    }

    /** As {@link #start}, with the JVM's full compiler: for a test whose load needs Pollster's real speed. */
    public static PollsterProcess startOptimized(Path dataDir, Map<String, String> env) {
        return start(dataDir, env, List.of());
    }

    private static PollsterProcess start(Path dataDir, Map<String, String> env, List<String> jvmOptions) {
        int port = freePort();
        Path logFile = dataDir.resolveSibling(dataDir.getFileName() + "-" + System.nanoTime() + ".log");
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), PollsterApplication.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        INHERITED_SETTINGS_TO_DROP.forEach(builder.environment()::remove);
        builder.environment().put("POLLSTER_DATA_DIR", dataDir.toString());
        builder.environment().put("SERVER_PORT", Integer.toString(port));
        builder.environment().putAll(env);
        try {
            return new PollsterProcess(builder.start(), logFile, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for {@code /actuator/health} to say UP; if it never does, fails with the end of the process's log. */
    public PollsterProcess awaitReady(Duration timeout) {
        try {
            awaitUp(timeout);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            String log = log();
            throw new IllegalStateException("Pollster on port " + port + " was not UP within " + timeout + "; the end of its log:\n"
                    + log.substring(Math.max(0, log.length() - 6000)), e);
        }
        return this;
    }

    private void awaitUp(Duration timeout) {
        await("Pollster on port " + port + " to report UP").atMost(timeout).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("Pollster exited with " + process.exitValue() + ":\n" + log());
                    }
                    try {
                        Api.Response health = api().get("/actuator/health");
                        return health.status() == 200 && health.body().contains("\"UP\"");
                    } catch (IllegalStateException notYetListening) {
                        return false;
                    }
                });
    }

    public Api api() {
        return Api.at("http://localhost:" + port);
    }

    public int port() {
        return port;
    }

    /** The sum of every series of a Prometheus counter this process exposes (e.g. {@code pollster_polls_total}), 0 when none. */
    public double counter(String name) {
        double sum = 0;
        for (String line : api().get("/actuator/prometheus").body().split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM, as a service manager sends it; returns the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("Pollster did not stop within " + timeout + " of SIGTERM:\n" + log());
        }
        return process.exitValue();
    }

    /** SIGKILL: the process gets no chance to clean up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public String log() {
        try {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
