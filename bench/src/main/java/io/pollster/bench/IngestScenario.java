package io.pollster.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * SPEC §5 "Ingest": concurrent clients POST batches of 100 messages to {@code /api/v1/messages}
 * as one user; accepted messages/s and request latency over the window, then how long until every
 * accepted message is a line in {@code <dataDir>/messages/shard-*}/*.jsonl}. Pollster runs with
 * the {@code api} and {@code ingest} roles.
 */
final class IngestScenario {

    static final int BATCH = 100;

    private IngestScenario() {
    }

    static void run(ScenarioRun run) throws Exception {
        Options o = run.options();
        int clients = o.clients(16, 4);
        Duration warmup = o.smoke() ? Duration.ofSeconds(1) : Duration.ofSeconds(3);
        Duration window = o.window(Duration.ofSeconds(20), Duration.ofSeconds(2));
        Duration drainCap = o.smoke() ? Duration.ofSeconds(45) : Duration.ofSeconds(180);

        PollsterChild pollster = run.pollster("ingest", Set.of("api", "ingest"), List.of());
        PollsterApi api = new PollsterApi(pollster.base());
        String token = api.createUser("bench").token();

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean measuring = new AtomicBoolean(false);
        LongAdder accepted = new LongAdder();
        LongAdder rejected = new LongAdder();
        List<long[]> latencies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        run.log("%d clients POSTing batches of %d: warm-up %d s, then measuring %d s", clients, BATCH, warmup.toSeconds(), window.toSeconds());
        for (int c = 0; c < clients; c++) {
            long[] mine = new long[1 << 17];
            latencies.add(mine);
            threads.add(Thread.ofVirtual().name("ingest-client-" + c).start(() -> post(api, token, running, measuring, accepted, rejected, mine)));
        }
        Thread.sleep(warmup);
        ProcessCpu.Sample cpuBefore = ProcessCpu.sample(pollster.pid(), run.db().name());
        long acceptedBefore = accepted.sum();
        measuring.set(true);
        long start = System.nanoTime();
        if (o.profile()) {
            Jvm.startRecording(pollster.pid());
        }
        Thread.sleep(window);
        measuring.set(false);
        long acceptedInWindow = accepted.sum() - acceptedBefore;
        double seconds = (System.nanoTime() - start) / 1e9;
        running.set(false);
        for (Thread t : threads) {
            t.join();
        }
        long posted = System.nanoTime();
        long total = accepted.sum();
        double perSecond = acceptedInWindow / seconds;
        long[] all = latencies.stream().flatMapToLong(l -> Arrays.stream(l, 1, (int) l[0] + 1)).sorted().toArray();
        double p50 = percentile(all, 0.50);
        double p99 = percentile(all, 0.99);
        run.log("accepted %s msg/s, latency p50 %s p99 %s, %,d rejected requests; waiting for %,d messages in files",
                Results.count(perSecond), Results.millis(p50), Results.millis(p99), rejected.sum(), total);

        BatchFiles files = new BatchFiles(run.dataDir("ingest").resolve("messages"));
        long deadline = posted + drainCap.toNanos();
        long lines = files.lines();
        while (lines < total && System.nanoTime() < deadline) {
            Thread.sleep(200);
            lines = files.lines();
        }
        double drainSeconds = (System.nanoTime() - posted) / 1e9;
        ProcessCpu.Sample cpuAfter = ProcessCpu.sample(pollster.pid(), run.db().name());
        if (o.profile()) {
            Path recording = o.results().resolve("profiles").resolve(run.db().name() + "-ingest.jfr");
            Jvm.stopRecording(pollster.pid(), recording);
            System.out.print(JfrSummary.summarise(recording));
        }
        boolean allWritten = lines >= total;
        run.log("%,d of %,d messages in %,d files after %.1f s; %s", lines, total, files.count(), drainSeconds,
                ProcessCpu.describe(ProcessCpu.between(cpuBefore, cpuAfter)));
        if (!allWritten && !o.smoke()) {
            run.log("not every message reached a file within %d s: the figure below is a lower bound", drainCap.toSeconds());
        } else if (!allWritten) {
            throw new IllegalStateException("Only " + lines + " of " + total + " accepted messages reached a file within "
                    + drainCap.toSeconds() + " s");
        }

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("clients", clients);
        figures.put("batch", BATCH);
        figures.put("windowSeconds", Results.round(seconds, 1));
        figures.put("acceptedPerSecond", Results.round(perSecond, 0));
        figures.put("requestLatencyP50Seconds", Results.round(p50, 4));
        figures.put("requestLatencyP99Seconds", Results.round(p99, 4));
        figures.put("rejectedRequests", rejected.sum());
        figures.put("acceptedTotal", total);
        figures.put("linesInFiles", lines);
        figures.put("files", files.count());
        figures.put("allInFiles", allWritten);
        figures.put("secondsUntilAllInFilesAfterLastPost", Results.round(drainSeconds, 1));
        figures.put("cpuPostingAndDraining", ProcessCpu.between(cpuBefore, cpuAfter));
        run.record(String.format("%d clients x batches of %d: %s msg/s accepted (target >= 50,000), request p50 %s p99 %s "
                        + "(target <= 50 ms) | %,d messages in %,d files %.1f s after the last POST%s",
                clients, BATCH, Results.count(perSecond), Results.millis(p50), Results.millis(p99), lines, files.count(), drainSeconds,
                allWritten ? "" : " (NOT ALL: " + lines + " of " + total + ")"), figures);
    }

    /** One client: POST, POST, POST… recording each latency (ns) while measuring; {@code latencies[0]} counts them. */
    private static void post(PollsterApi api, String token, AtomicBoolean running, AtomicBoolean measuring, LongAdder accepted,
                             LongAdder rejected, long[] latencies) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (running.get()) {
            StringBuilder body = new StringBuilder(BATCH * 90).append('[');
            String now = Instant.now().toString();
            for (int i = 0; i < BATCH; i++) {
                body.append(i == 0 ? "" : ",").append("{\"timestamp\":\"").append(now).append("\",\"value\":\"v-")
                        .append(random.nextInt(1_000_000)).append("\",\"key\":\"k-").append(random.nextInt(100_000)).append("\"}");
            }
            byte[] bytes = body.append(']').toString().getBytes(StandardCharsets.UTF_8);
            boolean measured = measuring.get();
            long started = System.nanoTime();
            try {
                int status = api.postStatus("/api/v1/messages", token, bytes);
                long took = System.nanoTime() - started;
                if (status == 201) {
                    accepted.add(BATCH);
                } else {
                    rejected.increment();
                }
                // every request that started in the window, also one that ended after it: those are the slow ones
                if (measured && latencies[0] < latencies.length - 1) {
                    latencies[(int) ++latencies[0]] = took;
                }
            } catch (IOException e) {
                rejected.increment();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static double percentile(long[] sortedNanos, double q) {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.min(sortedNanos.length - 1, Math.ceil(q * sortedNanos.length) - 1);
        return sortedNanos[Math.max(0, index)] / 1e9;
    }

    /** Counts the lines of the batch files written so far, reading each finished file once. */
    static final class BatchFiles {
        private final Path messages;
        private final Map<Path, Long> counted = new HashMap<>();
        private long lines;

        BatchFiles(Path messages) {
            this.messages = messages;
        }

        long lines() throws IOException {
            if (!Files.isDirectory(messages)) {
                return 0;
            }
            try (DirectoryStream<Path> shards = Files.newDirectoryStream(messages, "shard-*")) {
                for (Path shard : shards) {
                    // why: files are written under a hidden name and renamed whole; a visible one is complete
                    try (DirectoryStream<Path> batches = Files.newDirectoryStream(shard, p -> {
                        String name = p.getFileName().toString();
                        return !name.startsWith(".") && name.endsWith(".jsonl");
                    })) {
                        for (Path file : batches) {
                            if (!counted.containsKey(file)) {
                                long n = countLines(file);
                                counted.put(file, n);
                                lines += n;
                            }
                        }
                    }
                }
            }
            return lines;
        }

        int count() {
            return counted.size();
        }

        private static long countLines(Path file) throws IOException {
            long n = 0;
            for (byte b : Files.readAllBytes(file)) {
                if (b == '\n') {
                    n++;
                }
            }
            return n;
        }
    }
}
