package io.pollster.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One scenario's run: its own database, a work directory ({@code bench/target/runs/<database>},
 * Pollster's logs and data directories), and everything it started — closed in reverse order at
 * the end, also when the scenario fails or the harness is interrupted, so no child process and no
 * database outlive it.
 */
final class ScenarioRun implements AutoCloseable {

    private final Options options;
    private final String scenario;
    private final BenchDatabase db;
    private final Path dir;
    private final long started = System.nanoTime();
    private final Machine.Snapshot machineBefore = Machine.snapshot();
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private boolean closed;

    private ScenarioRun(Options options, String scenario, BenchDatabase db, Path dir) {
        this.options = options;
        this.scenario = scenario;
        this.db = db;
        this.dir = dir;
    }

    static ScenarioRun open(Options options, String scenario) throws Exception {
        BenchDatabase db = BenchDatabase.create(scenario);
        try {
            Path dir = options.root().resolve("bench/target/runs").resolve(db.name());
            Files.createDirectories(dir);
            return new ScenarioRun(options, scenario, db, dir);
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    Options options() {
        return options;
    }

    BenchDatabase db() {
        return db;
    }

    /** Takes ownership: closed when the run ends, before the database is dropped. */
    synchronized <T extends AutoCloseable> T own(T resource) {
        if (closed) {
            try {
                resource.close(); // e.g. a Pollster started as the deadline ended the run: not left behind
            } catch (Exception ignored) {
                // the run has already failed; this is only cleanup
            }
            throw new IllegalStateException("The run has ended");
        }
        resources.push(resource);
        return resource;
    }

    /** Starts Pollster with these roles, its own data directory and log under the run's directory. */
    PollsterChild pollster(String label, Set<String> roles, List<String> jvmOptions) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data-" + label));
        log("starting Pollster (roles %s, log %s)", String.join(",", roles), options.root().relativize(dir.resolve(label + ".log")));
        PollsterChild child = own(PollsterChild.launch(options, db, roles, data, dir.resolve(label + ".log"), jvmOptions));
        child.awaitUp();
        return child;
    }

    Path dataDir(String label) {
        return dir.resolve("data-" + label);
    }

    /** Releases a resource early (e.g. stops one Pollster before the next phase). */
    synchronized void release(AutoCloseable resource) throws Exception {
        resources.remove(resource);
        resource.close();
    }

    void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[%s +%5.1fs] %s%n", scenario, (System.nanoTime() - started) / 1e9,
                String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    /**
     * Measures a window of a running Pollster: metrics and CPU at both ends, and with
     * {@code --profile} a JFR recording of exactly the window, summarised into the log.
     */
    Window measure(PollsterChild pollster, Duration window, String label) throws Exception {
        return measure(pollster, window, label, () -> { }, () -> { });
    }

    /** A snapshot the scenario takes itself, at the very edges of the window (outside the JFR start and stop). */
    interface Probe {
        void take() throws Exception;
    }

    Window measure(PollsterChild pollster, Duration window, String label, Probe atStart, Probe atEnd) throws Exception {
        if (options.profile()) {
            Jvm.startRecording(pollster.pid());
        }
        atStart.take();
        Prometheus before = pollster.metrics();
        long start = System.nanoTime();
        ProcessCpu.Sample cpuBefore = ProcessCpu.sample(pollster.pid(), db.name());
        long walBefore = db.walBytes();
        Map<String, Long> vacuumsBefore = db.autovacuums();
        Thread.sleep(window);
        Prometheus after = pollster.metrics();
        double seconds = (System.nanoTime() - start) / 1e9;
        atEnd.take();
        ProcessCpu.Sample cpuAfter = ProcessCpu.sample(pollster.pid(), db.name());
        long wal = db.walBytes() - walBefore;
        Map<String, Long> vacuums = new java.util.TreeMap<>();
        db.autovacuums().forEach((table, n) -> {
            long delta = n - vacuumsBefore.getOrDefault(table, 0L);
            if (delta > 0) {
                vacuums.put(table, delta);
            }
        });
        if (options.profile()) {
            Path recording = options.results().resolve("profiles").resolve(db.name() + "-" + label + ".jfr");
            Jvm.stopRecording(pollster.pid(), recording);
            System.out.print(JfrSummary.summarise(recording));
        }
        Map<String, Object> cpu = new LinkedHashMap<>(ProcessCpu.between(cpuBefore, cpuAfter));
        cpu.put("autovacuumRuns", vacuums);
        return new Window(seconds, before, after, cpu, wal);
    }

    /**
     * What Pollster's metrics did during a measured window.
     *
     * @param walBytes WAL the PostgreSQL server wrote meanwhile (all databases)
     */
    record Window(double seconds, Prometheus before, Prometheus after, Map<String, Object> cpu, long walBytes) {

        double delta(String metric) {
            return after.sum(metric) - before.sum(metric);
        }

        double rate(String metric) {
            return delta(metric) / seconds;
        }

        Prometheus.Histogram histogram(String name) {
            return after.histogram(name).minus(before.histogram(name));
        }
    }

    void record(String line, Map<String, Object> figures) throws IOException {
        Results.record(options, scenario, line, figures, machineBefore);
    }

    /** Closes what the run started, newest first, drops the database and deletes Pollster's data directories. */
    @Override
    public synchronized void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        Exception failure = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                failure = failure == null ? e : failure;
            }
        }
        try {
            db.close();
        } catch (Exception e) {
            failure = failure == null ? e : failure;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path data : entries.filter(p -> p.getFileName().toString().startsWith("data-")).toList()) {
                deleteTree(data);
            }
        } catch (IOException | UncheckedIOException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
