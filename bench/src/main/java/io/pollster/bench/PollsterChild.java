package io.pollster.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Pollster as a child process ({@code java -jar target/pollster.jar}), configured only by
 * environment, as an operator would run it: an external database, a fixed admin token, a port and
 * a data directory of its own, loopback upstreams allowed, and the roles the scenario measures.
 */
final class PollsterChild implements AutoCloseable {

    static final String ADMIN_TOKEN = "bench-admin-token-not-a-secret";
    static final Set<String> ALL_ROLES = Set.of("api", "scheduler", "poller", "ingest");
    /** For a Pollster that is not measured (setting up through the API): C1 only, a faster start. */
    static final List<String> FAST_START = List.of("-XX:TieredStopAtLevel=1");

    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PollsterChild(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts Pollster; {@link #awaitUp()} then waits until {@code /actuator/health} says UP (Boot
     * answers 503 until startup has completed, so the port alone proves nothing). Two steps, so
     * that the caller owns the process — and stops it on failure — while it starts.
     *
     * @param roles      any of api, scheduler, poller, ingest
     * @param jvmOptions options before {@code -jar}
     */
    static PollsterChild launch(Options options, BenchDatabase db, Set<String> roles, Path dataDir, Path log,
                               List<String> jvmOptions) throws IOException, InterruptedException {
        if (!Files.isRegularFile(options.jar())) {
            throw new IllegalStateException("No Pollster jar at " + options.jar() + "; run ./pollster build first");
        }
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String extra = System.getenv("POLLSTER_BENCH_CHILD_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.strip().split("\\s+")));
        }
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(options.jar().toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dataDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("POLLSTER_") || k.startsWith("SPRING_") || k.equals("JAVA_TOOL_OPTIONS"));
        env.put("SPRING_DATASOURCE_URL", db.url());
        env.put("SPRING_DATASOURCE_USERNAME", BenchDatabase.USER);
        env.put("SPRING_DATASOURCE_PASSWORD", BenchDatabase.PASSWORD);
        env.put("POLLSTER_ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("SERVER_PORT", Integer.toString(port));
        env.put("POLLSTER_DATA_DIR", dataDir.toString());
        env.put("POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS", "true");
        env.put("POLLSTER_ROLES", String.join(",", roles));
        // why: every scenario's jobs belong to one user, and the bare loop they are compared with keeps 8
        // requests per host; the multi-tenant default lets one user hold half of a host's slots
        env.put("POLLSTER_HOSTS_PER_USER_CONCURRENCY", "8");
        // why: a jar built before POLLSTER_ROLES existed still honours the per-feature switches
        env.put("POLLSTER_SCHEDULER_ENABLED", Boolean.toString(roles.contains("scheduler")));
        env.put("POLLSTER_POLLER_ENABLED", Boolean.toString(roles.contains("poller")));
        env.put("POLLSTER_INGEST_ENABLED", Boolean.toString(roles.contains("ingest")));
        return new PollsterChild(builder.start(), port, log);
    }

    /** @throws IllegalStateException (after stopping it) when Pollster exits or is not UP in time */
    void awaitUp() throws IOException, InterruptedException {
        try {
            awaitUp(Duration.ofSeconds(120));
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + port);
    }

    long pid() {
        return process.pid();
    }

    Prometheus metrics() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base().resolve("/actuator/prometheus"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET /actuator/prometheus answered " + response.statusCode());
        }
        return Prometheus.parse(response.body());
    }

    private void awaitUp(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest health = HttpRequest.newBuilder(base().resolve("/actuator/health")).timeout(Duration.ofSeconds(5)).build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Pollster exited with " + process.exitValue() + " during startup; its log ends:\n" + logTail(40));
            }
            try {
                HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains("\"status\":\"UP\"")) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Pollster was not UP within " + timeout.toSeconds() + " s; its log ends:\n" + logTail(40));
    }

    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM and a graceful shutdown; SIGKILL if it takes longer than 40 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        try {
            Jvm.resume(process.pid()); // a paused JVM would not see the SIGTERM
        } catch (IOException | InterruptedException ignored) {
            // not paused, or gone
        }
        process.destroy();
        try {
            if (!process.waitFor(40, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
