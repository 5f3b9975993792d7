package io.pollster.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * SPEC §5 "Poll path": end-to-end polls/s of Pollster (all roles: scheduler, queue, fetch,
 * normalise + hash, dedup, bookkeeping) against {@link BareClientLoop} on the same stub in the
 * same run; and the database rows written per unchanged poll, from {@code pg_stat_user_tables}.
 *
 * <p>The jobs are spread over 8 loopback hosts (127.0.0.1–8): Pollster's default per-host bound is
 * 8 requests and its poller runs 64 polls at once, so 8 hosts let both Pollster and the bare loop
 * use their whole concurrency (8 × 8 = 64) — the fair comparison.
 *
 * <p>Demand is calibrated: first every job is due every second; while the poller keeps up with
 * that (it polls nearly every due time), jobs are added, since Pollster fires a job again only once
 * its last poll is over and a queue backlog no longer forms by itself. Then the interval is set so
 * that 1.25 × the poll rate seen falls due: the poller never waits for work, and the due times it
 * cannot serve are skipped (the scheduler writes each skip into the job's history: its cost, like
 * the fires', is told apart from the poll's).
 */
final class PollPathScenario {

    static final int HOSTS = 8;
    static final int CONCURRENCY = 64;
    static final int PER_HOST = 8;
    static final double DEMAND = 1.25;
    /** Skips less than the rest of the due times: the poller has spare capacity, and jobs are added. */
    static final double KEEPING_UP = 0.95;
    static final int MAX_CALIBRATIONS = 5;

    private static final List<String> DATA_TABLES = List.of("jobs", "job_polls", "versions", "bodies", "polls", "dead_letters");

    private PollPathScenario() {
    }

    static void run(ScenarioRun run) throws Exception {
        Options o = run.options();
        BenchDatabase db = run.db();
        int jobs = o.jobs(2_000, 200);
        Duration window = o.window(Duration.ofSeconds(20), Duration.ofSeconds(2));
        Duration warmupCap = o.smoke() ? Duration.ofSeconds(30) : Duration.ofSeconds(90);
        Duration calibration = o.smoke() ? Duration.ofSeconds(1) : Duration.ofSeconds(5);
        Duration settle = o.smoke() ? Duration.ofSeconds(1) : Duration.ofSeconds(5);

        StubUpstream stub = run.own(StubUpstream.start(HOSTS, o.changeFraction(), o.etag()));
        PollsterChild pollster = run.pollster("all-roles", PollsterChild.ALL_ROLES, List.of());
        JobTable.Template template = JobTable.createTemplate(new PollsterApi(pollster.base()), db, stub.url(0));
        run.log("registering %,d jobs on %d stub hosts (change fraction %s, ETag %s)", jobs, HOSTS, o.changeFraction(),
                o.etag() ? "on" : "off");
        JobTable.copy(db, template, jobs - 1, stub);

        // warm-up: every job has polled twice, so its first history entry is closed and later unchanged polls only fold
        long deadline = System.nanoTime() + warmupCap.toNanos();
        while (db.queryLong("SELECT count(DISTINCT job_id) FROM polls") < jobs && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        // why: the copies were all due at once; a burst makes the first round look like a poller behind its work
        JobTable.spread(db, Duration.ofSeconds(1));
        Thread.sleep(settle);
        double seen = 0;
        for (int round = 0; round < MAX_CALIBRATIONS; round++) {
            Prometheus calibrationStart = pollster.metrics();
            Thread.sleep(calibration);
            Prometheus calibrationEnd = pollster.metrics();
            seen = perSecond(calibrationStart, calibrationEnd, "pollster_polls_total", calibration);
            double skipped = perSecond(calibrationStart, calibrationEnd, "pollster_fires_skipped_total", calibration);
            double due = perSecond(calibrationStart, calibrationEnd, "pollster_fires_total", calibration) + skipped;
            // a poller behind its work shows as skipped due times: each job's next one comes while its poll waits
            if (skipped > (1 - KEEPING_UP) * due || round == MAX_CALIBRATIONS - 1) {
                break;
            }
            int more = (int) Math.ceil(jobs * 0.6);
            run.log("the poller kept up with %s polls/s of %s due: adding %,d jobs", Results.count(seen), Results.count(due), more);
            JobTable.copy(db, template, more, stub);
            jobs += more;
            JobTable.spread(db, Duration.ofSeconds(1));
            Thread.sleep(settle);
        }
        Duration interval = Duration.ofMillis(Math.max(1_000, Math.round(jobs * 1000.0 / (DEMAND * Math.max(1, seen)))));
        run.log("the poller did %s polls/s; every job now due every %s (%s fires/s)", Results.count(seen), interval,
                Results.count(jobs * 1000.0 / interval.toMillis()));
        JobTable.spread(db, interval);
        Thread.sleep(settle);

        long depthBefore = queueDepth(db);
        Map<String, BenchDatabase.Writes> writesBefore = new TreeMap<>();
        Map<String, BenchDatabase.Writes> writesAfter = new TreeMap<>();
        long[] stubRequests = new long[2];
        run.log("measuring Pollster %d s (queue depth %,d)", window.toSeconds(), depthBefore);
        // why: no pause before the last snapshot: PostgreSQL publishes busy backends' counts up to a second late, at both ends alike
        ScenarioRun.Window w = run.measure(pollster, window, "poll-path",
                () -> { writesBefore.putAll(db.tableWrites()); stubRequests[0] = stub.requests(); },
                () -> { stubRequests[1] = stub.requests(); writesAfter.putAll(db.tableWrites()); });
        long depthAfter = queueDepth(db);
        double polls = w.delta("pollster_polls_total");
        double pollsPerSecond = polls / w.seconds();
        Map<String, Double> outcomes = new TreeMap<>(w.after().byLabel("pollster_polls_total", "outcome"));
        w.before().byLabel("pollster_polls_total", "outcome").forEach((k, v) -> outcomes.merge(k, -v, Double::sum));
        double fires = w.delta("pollster_fires_total");
        double skipped = w.delta("pollster_fires_skipped_total");
        Prometheus.Histogram duration = w.histogram("pollster_poll_duration_seconds");
        run.log("pollster: %s polls/s %s, %s fires/s (%s due times/s skipped), upstream %s req/s, poll duration p50 %s p99 %s, "
                        + "queue depth %,d -> %,d; %s",
                Results.count(pollsPerSecond), outcomes, Results.count(fires / w.seconds()), Results.count(skipped / w.seconds()),
                Results.count((stubRequests[1] - stubRequests[0]) / w.seconds()),
                Results.millis(duration.quantile(0.5)), Results.millis(duration.quantile(0.99)), depthBefore, depthAfter,
                ProcessCpu.describe(w.cpu()));

        if (depthAfter == 0) {
            run.log("the poll queue ran empty: the poller may have waited for work, and polls/s understates it");
        }
        Map<String, BenchDatabase.Writes> written = new TreeMap<>();
        for (var e : writesAfter.entrySet()) {
            BenchDatabase.Writes d = e.getValue().minus(writesBefore.getOrDefault(e.getKey(), new BenchDatabase.Writes(0, 0, 0)));
            if (d.total() > 0) {
                written.put(e.getKey(), d);
            }
        }
        Writes poll = Writes.attribute(written, fires, skipped, polls);
        run.log("rows written in the window: %s; per poll, the scheduler's share (%s fires) taken out: %s; %,.0f bytes of WAL per poll",
                written, Results.count(fires), poll, w.walBytes() / polls);
        run.release(pollster);

        run.log("bare HttpClient loop: %d in flight, %d per host, %d s", CONCURRENCY, PER_HOST, window.toSeconds());
        BareClientLoop.Measured bare = BareClientLoop.run(stub, jobs, CONCURRENCY, PER_HOST, o.etag(),
                Duration.ofSeconds(o.smoke() ? 1 : 3), window);
        run.log("bare loop: %s requests/s (%d errors)", Results.count(bare.requestsPerSecond()), bare.errors());

        double ratio = pollsPerSecond / bare.requestsPerSecond();
        double unchangedShare = (outcomes.getOrDefault("unchanged", 0.0) + outcomes.getOrDefault("not_modified", 0.0)) / polls;
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jobs", jobs);
        figures.put("hosts", HOSTS);
        figures.put("changeFraction", o.changeFraction());
        figures.put("etag", o.etag());
        figures.put("jobIntervalMs", interval.toMillis());
        figures.put("windowSeconds", Results.round(w.seconds(), 1));
        figures.put("pollsterPollsPerSecond", Results.round(pollsPerSecond, 0));
        figures.put("outcomes", outcomes);
        figures.put("unchangedShare", Results.round(unchangedShare, 4));
        figures.put("firesPerSecond", Results.round(fires / w.seconds(), 0));
        figures.put("skippedPerSecond", Results.round(skipped / w.seconds(), 0));
        figures.put("stubRequestsPerSecond", Results.round((stubRequests[1] - stubRequests[0]) / w.seconds(), 0));
        figures.put("pollDurationP50Seconds", Results.round(duration.quantile(0.5), 4));
        figures.put("pollDurationP99Seconds", Results.round(duration.quantile(0.99), 4));
        figures.put("queueDepthBefore", depthBefore);
        figures.put("queueDepthAfter", depthAfter);
        figures.put("pollsterCpu", w.cpu());
        figures.put("walBytesPerPoll", Math.round(w.walBytes() / polls));
        figures.put("bareRequestsPerSecond", Results.round(bare.requestsPerSecond(), 0));
        figures.put("bareErrors", bare.errors());
        figures.put("ratioPollsterToBare", Results.round(ratio, 3));
        Map<String, Object> rows = new LinkedHashMap<>();
        written.forEach((table, d) -> rows.put(table, d));
        figures.put("rowsWrittenInWindow", rows);
        figures.put("perPoll", poll.figures());
        run.record(String.format("%s jobs on %d hosts: pollster %s polls/s (%.0f%% unchanged) vs bare HttpClient loop %s req/s "
                        + "= %.0f%% (target >= 70%%) | per poll: %s data-row inserts, %s data-row updates (target 0 and <= 1), "
                        + "plus %s queue rows",
                Results.count(jobs), HOSTS, Results.count(pollsPerSecond), 100 * unchangedShare, Results.count(bare.requestsPerSecond()),
                100 * ratio, Results.ratio(poll.dataInserts()), Results.ratio(poll.dataUpdates()), Results.ratio(poll.queueRows())), figures);
    }

    /**
     * The rows one poll writes: the data tables' inserts and updates (less the one job update per
     * scheduler fire, and the one history update per due time the scheduler skipped) and the queue's
     * claim and acknowledgement (less the one insert per fire).
     */
    record Writes(double dataInserts, double dataUpdates, double dataDeletes, double queueRows) {

        static Writes attribute(Map<String, BenchDatabase.Writes> written, double fires, double skipped, double polls) {
            double inserts = 0;
            double updates = 0;
            double deletes = 0;
            for (String table : DATA_TABLES) {
                BenchDatabase.Writes d = written.get(table);
                if (d != null) {
                    inserts += d.inserted();
                    updates += d.updated();
                    deletes += d.deleted();
                }
            }
            // JobSchedules.advance updates one job_schedules row per fire, a table apart from the data tables
            if (!written.containsKey("job_schedules")) {
                updates -= fires; // before the schedules had a table of their own, the fire updated the jobs row
            }
            updates -= skipped; // SkippedFires: the scheduler counts a skipped due time on the job's history entry
            BenchDatabase.Writes queue = written.getOrDefault("queue_tasks", new BenchDatabase.Writes(0, 0, 0));
            double queueRows = queue.total() - fires; // PostgresTransport.enqueue: one insert per fire
            return new Writes(inserts / polls, Math.max(0, updates) / polls, deletes / polls, Math.max(0, queueRows) / polls);
        }

        Map<String, Object> figures() {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("dataInserts", Results.round(dataInserts, 3));
            figures.put("dataUpdates", Results.round(dataUpdates, 3));
            figures.put("dataDeletes", Results.round(dataDeletes, 3));
            figures.put("queueRows", Results.round(queueRows, 3));
            return figures;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%.2f data inserts, %.2f data updates, %.2f data deletes, %.2f queue rows",
                    dataInserts, dataUpdates, dataDeletes, queueRows);
        }
    }

    private static double perSecond(Prometheus before, Prometheus after, String counter, Duration window) {
        return (after.sum(counter) - before.sum(counter)) / window.toMillis() * 1000;
    }

    private static long queueDepth(BenchDatabase db) throws Exception {
        return db.queryLong("SELECT count(*) FROM queue_tasks WHERE queue = 'poll'");
    }
}
