package io.pollster.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SPEC §5 "Memory": the heap that stays live (after a full GC) with N registered jobs (default
 * 1,000,000) and the scheduler firing them flat out, sampled through a soak (default 60 s; the
 * SPEC's is 10 minutes: {@code --duration 10m}) to show whether it grows.
 */
final class MemoryScenario {

    private MemoryScenario() {
    }

    static void run(ScenarioRun run) throws Exception {
        Options o = run.options();
        if (o.profile()) {
            throw new IllegalArgumentException("--profile records a measured throughput window; memory has none (try scheduler --profile)");
        }
        BenchDatabase db = run.db();
        int jobs = o.jobs(1_000_000, 2_000);
        Duration soak = o.window(Duration.ofSeconds(60), Duration.ofSeconds(2));
        int samples = o.smoke() ? 2 : 6;
        Duration warmup = o.smoke() ? Duration.ofSeconds(1) : Duration.ofSeconds(10);

        PollsterChild pollster = run.pollster("scheduler", Set.of("scheduler"), List.of());
        JobTable.Template template = JobTable.templateWithoutApi(run, "http://127.0.0.1:9/never-polled");
        run.log("registering %,d jobs by SQL (copies of one job Pollster stored through its API)", jobs);
        JobTable.copy(db, template, jobs - 1, null);
        QueueDrainer drainer = run.own(QueueDrainer.start(db, "poll"));
        Thread.sleep(warmup);
        Prometheus before = pollster.metrics();
        long start = System.nanoTime();
        List<Long> heaps = new ArrayList<>();
        List<Double> at = new ArrayList<>();
        heaps.add(Jvm.heapAfterGc(pollster.pid()));
        at.add(0.0);
        run.log("heap after GC %s; soaking %d s, %d more samples", Results.mib(heaps.getFirst()), soak.toSeconds(), samples);
        for (int i = 1; i <= samples; i++) {
            Thread.sleep(soak.dividedBy(samples));
            heaps.add(Jvm.heapAfterGc(pollster.pid()));
            at.add((System.nanoTime() - start) / 1e9);
            run.log("  %5.0f s: heap after GC %s", at.getLast(), Results.mib(heaps.getLast()));
        }
        drainer.check();
        double seconds = (System.nanoTime() - start) / 1e9;
        double fires = (pollster.metrics().sum("pollster_fires_total") - before.sum("pollster_fires_total")) / seconds;
        long rss = Jvm.rssBytes(pollster.pid());
        long max = heaps.stream().mapToLong(Long::longValue).max().orElseThrow();
        double slope = slopePerMinute(at, heaps);

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jobs", jobs);
        figures.put("soakSeconds", Results.round(seconds, 1));
        figures.put("firesPerSecond", Results.round(fires, 0));
        figures.put("heapAfterGcBytes", heaps);
        figures.put("sampleSeconds", at.stream().map(s -> Results.round(s, 1)).toList());
        figures.put("heapAfterGcMaxBytes", max);
        figures.put("heapGrowthBytesPerMinute", Math.round(slope));
        figures.put("rssBytes", rss);
        run.record(String.format("%s jobs, scheduler firing %s/s: heap after GC %s -> %s over %.0f s (max %s, trend %+.1f MiB/min; "
                        + "target <= 512 MiB, no growth), RSS %s",
                Results.count(jobs), Results.count(fires), Results.mib(heaps.getFirst()), Results.mib(heaps.getLast()), seconds,
                Results.mib(max), slope / (1024 * 1024), Results.mib(rss)), figures);
    }

    /** Least-squares slope of heap over time, in bytes per minute. */
    static double slopePerMinute(List<Double> seconds, List<Long> bytes) {
        int n = seconds.size();
        double mx = seconds.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        double my = bytes.stream().mapToLong(Long::longValue).average().orElse(0);
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (seconds.get(i) - mx) * (bytes.get(i) - my);
            den += (seconds.get(i) - mx) * (seconds.get(i) - mx);
        }
        return den == 0 ? 0 : num / den * 60;
    }
}
