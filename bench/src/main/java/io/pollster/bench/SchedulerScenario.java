package io.pollster.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SPEC §5 "Scheduler": fires/s with N registered jobs (default 1,000,000), all due every second so
 * the scheduler never runs out of work, against db-scheduler with the same N recurring no-op tasks
 * on the same PostgreSQL; then the p99 schedule lag at half Pollster's rate.
 *
 * <p>Pollster runs with the {@code scheduler} role only; the harness acknowledges the poll tasks it
 * enqueues without fetching ({@link QueueDrainer}). The two schedulers take turns, never run side
 * by side (on two cores they would only measure each other): Pollster, db-scheduler, Pollster,
 * db-scheduler — Pollster frozen (SIGSTOP) during db-scheduler's turns — so that a change in the
 * machine's other load hits both alike, and the ratio is of the two means.
 */
final class SchedulerScenario {

    static final int ROUNDS = 2;
    private static final String NEVER_POLLED = "http://127.0.0.1:9/never-polled";

    private SchedulerScenario() {
    }

    static void run(ScenarioRun run) throws Exception {
        Options o = run.options();
        BenchDatabase db = run.db();
        int jobs = o.jobs(1_000_000, 2_000);
        Duration firstWarmup = o.smoke() ? Duration.ofSeconds(1) : Duration.ofSeconds(8);
        Duration warmup = o.smoke() ? Duration.ofSeconds(1) : Duration.ofSeconds(3);
        Duration settle = o.smoke() ? Duration.ofSeconds(1) : Duration.ofSeconds(3);
        Duration window = o.window(Duration.ofSeconds(20), Duration.ofSeconds(2));
        Duration turn = window.dividedBy(ROUNDS);

        PollsterChild pollster = run.pollster("scheduler", Set.of("scheduler"), List.of());
        run.log("db-scheduler %s: %,d recurring no-op tasks (threads %d, lock-and-fetch %.1f/%.1f)", DbSchedulerRun.version(), jobs,
                DbSchedulerRun.THREADS, DbSchedulerRun.LOWER_LIMIT, DbSchedulerRun.UPPER_LIMIT);
        DbSchedulerRun.createTasks(db, jobs);
        DbSchedulerRun other = run.own(DbSchedulerRun.open(db));
        JobTable.Template template = JobTable.templateWithoutApi(run, NEVER_POLLED);
        run.log("registering %,d Pollster jobs by SQL (copies of one job Pollster stored through its API)", jobs);
        long copyStarted = System.nanoTime();
        JobTable.copy(db, template, jobs - 1, null);
        Duration copyTook = Duration.ofNanos(System.nanoTime() - copyStarted);
        QueueDrainer drainer = run.own(QueueDrainer.start(db, "poll"));

        // 1. saturated, in turns: every job (and every task) overdue, always
        List<ScenarioRun.Window> pollsterTurns = new ArrayList<>();
        List<DbSchedulerRun.Measured> otherTurns = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            Duration warm = round == 1 ? firstWarmup : warmup;
            run.log("round %d: Pollster (warm-up %d s, %d s measured)", round, warm.toSeconds(), turn.toSeconds());
            Thread.sleep(warm);
            ScenarioRun.Window w = run.measure(pollster, turn, "scheduler-" + round);
            drainer.check();
            pollsterTurns.add(w);
            run.log("  pollster: %s fires/s, %,.0f bytes of WAL per fire; %s", Results.count(w.rate("pollster_fires_total")),
                    w.walBytes() / Math.max(1, w.delta("pollster_fires_total")), ProcessCpu.describe(w.cpu()));
            Jvm.pause(pollster.pid());
            drainer.pause();
            run.log("round %d: db-scheduler, Pollster frozen (warm-up %d s, %d s measured)", round, warm.toSeconds(), turn.toSeconds());
            DbSchedulerRun.Measured m = other.measure(warm, turn);
            otherTurns.add(m);
            run.log("  db-scheduler: %s executions/s, %,.0f bytes of WAL per execution; %s", Results.count(m.executionsPerSecond()),
                    m.walBytesPerExecution(), ProcessCpu.describe(m.cpu()));
            drainer.resume();
            Jvm.resume(pollster.pid());
        }
        double fires = pollsterTurns.stream().mapToDouble(w -> w.rate("pollster_fires_total")).average().orElseThrow();
        double executions = otherTurns.stream().mapToDouble(DbSchedulerRun.Measured::executionsPerSecond).average().orElseThrow();
        double ratio = fires / executions;
        ScenarioRun.Window last = pollsterTurns.getLast();
        Prometheus.Histogram lag = last.histogram("pollster_schedule_lag_seconds");
        long heap = Jvm.heapAfterGc(pollster.pid());
        run.log("pollster %s fires/s vs db-scheduler %s executions/s: %.2fx; saturated lag p50 %s p99 %s (every job waits a round); heap after GC %s",
                Results.count(fires), Results.count(executions), ratio, Results.millis(lag.quantile(0.5)),
                Results.millis(lag.quantile(0.99)), Results.mib(heap));
        run.release(other);
        db.execute("TRUNCATE scheduled_tasks");

        // 2. half that rate: the same number of jobs, due times spread so that jobs / interval = fires / 2
        Duration interval = Duration.ofMillis(Math.max(1_000, Math.round(2_000.0 * jobs / Math.max(1, fires))));
        run.log("half load: every job due every %s, spread evenly (%s fires/s expected); reloading the jobs", interval,
                Results.count(jobs * 1000.0 / interval.toMillis()));
        // why: the spread starts after the reload is done (it takes about as long as the first load), not in a burst
        Duration start = copyTook.multipliedBy(3).dividedBy(2).plusSeconds(o.smoke() ? 1 : 5);
        long spreadStarts = System.nanoTime() + start.toNanos();
        drainer.pause();
        JobTable.reload(db, template, jobs, interval, start);
        drainer.resume();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (JobTable.backlog(db).compareTo(Duration.ofSeconds(1)) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        Thread.sleep(Math.max(0, (spreadStarts - System.nanoTime()) / 1_000_000));
        run.log("the reloaded jobs fall due (backlog %s); settling %d s", JobTable.backlog(db), settle.toSeconds());
        Thread.sleep(settle);
        ScenarioRun.Window half = run.measure(pollster, window, "scheduler-half");
        drainer.check();
        double halfFires = half.rate("pollster_fires_total");
        Prometheus.Histogram halfLag = half.histogram("pollster_schedule_lag_seconds");
        run.log("half load: %s fires/s, lag p50 %s p99 %s; %s", Results.count(halfFires), Results.millis(halfLag.quantile(0.5)),
                Results.millis(halfLag.quantile(0.99)), ProcessCpu.describe(half.cpu()));

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jobs", jobs);
        figures.put("rounds", ROUNDS);
        figures.put("turnSeconds", turn.toSeconds());
        figures.put("pollsterFiresPerSecond", Results.round(fires, 0));
        figures.put("pollsterFiresPerSecondByRound", pollsterTurns.stream().map(w -> Results.round(w.rate("pollster_fires_total"), 0)).toList());
        figures.put("dbSchedulerExecutionsPerSecond", Results.round(executions, 0));
        figures.put("dbSchedulerExecutionsPerSecondByRound", otherTurns.stream().map(m -> Results.round(m.executionsPerSecond(), 0)).toList());
        figures.put("ratioPollsterToDbScheduler", Results.round(ratio, 2));
        figures.put("pollsterWalBytesPerFire", pollsterTurns.stream().map(w -> Math.round(w.walBytes() / Math.max(1, w.delta("pollster_fires_total")))).toList());
        figures.put("dbSchedulerWalBytesPerExecution", otherTurns.stream().map(m -> Math.round(m.walBytesPerExecution())).toList());
        figures.put("pollsterCpu", pollsterTurns.stream().map(ScenarioRun.Window::cpu).toList());
        figures.put("dbSchedulerCpu", otherTurns.stream().map(DbSchedulerRun.Measured::cpu).toList());
        figures.put("saturatedLagP50Seconds", Results.round(lag.quantile(0.5), 3));
        figures.put("saturatedLagP99Seconds", Results.round(lag.quantile(0.99), 3));
        figures.put("saturatedLagP99BucketSeconds", lag.bucketOf(0.99));
        figures.put("heapAfterGcBytes", heap);
        figures.put("halfLoadIntervalMs", interval.toMillis());
        figures.put("halfLoadFiresPerSecond", Results.round(halfFires, 0));
        figures.put("halfLoadLagP50Seconds", Results.round(halfLag.quantile(0.5), 4));
        figures.put("halfLoadLagP99Seconds", Results.round(halfLag.quantile(0.99), 4));
        figures.put("halfLoadLagP99BucketSeconds", halfLag.bucketOf(0.99));
        figures.put("halfLoadCpu", half.cpu());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("version", DbSchedulerRun.version());
        settings.put("threads", DbSchedulerRun.THREADS);
        settings.put("pollUsingLockAndFetch", List.of(DbSchedulerRun.LOWER_LIMIT, DbSchedulerRun.UPPER_LIMIT));
        settings.put("pollingIntervalMs", DbSchedulerRun.POLLING_INTERVAL.toMillis());
        figures.put("dbSchedulerSettings", settings);
        run.record(String.format("%s jobs: pollster %s fires/s vs db-scheduler %s = %sx (target >= 8x, >= 80,000 fires/s) | "
                        + "half load %s fires/s: lag p50 %s, p99 %s (target <= 50 ms) | heap %s after GC",
                Results.count(jobs), Results.count(fires), Results.count(executions), Results.ratio(ratio), Results.count(halfFires),
                Results.millis(halfLag.quantile(0.5)), Results.millis(halfLag.quantile(0.99)), Results.mib(heap)), figures);
    }
}
