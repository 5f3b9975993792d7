package io.pollster.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;

/**
 * Paginated runs: a count-first job of N pages (default 1,000 pages of 10 items) against a local
 * upstream that answers every page after a fixed delay (default 10 ms), fetched with parallelism
 * 16 — first by {@link PagingBareLoop} (the yardstick), then by one Pollster with every role, then
 * by that Pollster and a second process with only the {@code poller} role on the same database.
 *
 * <p>Each Pollster phase is in steady state: the job's runs follow each other ({@code POST
 * /jobs/{id}/run} once the last one finished), one run not counted first (the job's first run,
 * which also stores every page's hash; the second process's cold JIT), then runs until the
 * window is spent. A run's pages/s is its pages over the time from the stub seeing page 1 to the
 * run's {@code finishedAt}. Every run is checked: status {@code succeeded}, every page done, and the
 * stub's counts — every page requested exactly once. A failed check fails the scenario (at
 * {@code --smoke} too); the speed never does.
 */
final class PagingScenario {

    static final int PARALLELISM = 16;
    /** A fast real API answers in tens of milliseconds; 10 ms makes parallelism matter without making waiting all there is. */
    static final Duration DEFAULT_DELAY = Duration.ofMillis(10);
    static final double TARGET_RATIO = 0.70;
    static final double TARGET_SECOND = 0.60;
    /** How often the harness looks whether the run ended; its own finishedAt times its end, so this only adds idle time. */
    private static final Duration POLL_EVERY = Duration.ofMillis(50);
    /** Whether the job's newest run is not the last one seen and has ended. */
    private static final String ENDED = """
            SELECT count(*) FROM (SELECT id, finished_at FROM runs WHERE job_id = ? ORDER BY id DESC LIMIT 1) r
            WHERE r.id <> ? AND r.finished_at IS NOT NULL
            """;
    /** Requests for the run's pages that come after its end (a task delivered twice) are waited for this long. */
    private static final Duration STRAGGLERS = Duration.ofMillis(300);
    private static final Duration PROBE_EVERY = Duration.ofMillis(20);

    private PagingScenario() {
    }

    static void run(ScenarioRun run) throws Exception {
        Options o = run.options();
        int pages = o.pages(1_000, 100);
        Duration delay = o.upstreamDelay(DEFAULT_DELAY);
        Duration window = o.window(Duration.ofSeconds(20), Duration.ofSeconds(1));
        int minRuns = o.smoke() ? 1 : 3;
        int bareWalks = o.smoke() ? 2 : 5;
        List<String> jvm = o.smoke() ? PollsterChild.FAST_START : List.of();
        List<String> problems = new ArrayList<>();

        PagesStub stub = run.own(PagesStub.start(pages, delay));

        // 1. the yardstick
        run.log("bare loop: %,d pages count-first, %d in flight, upstream delay %d ms, %d walks after one to warm up",
                pages, PARALLELISM, delay.toMillis(), bareWalks);
        List<Double> bareRates = new ArrayList<>();
        double bareSeconds = 0;
        long bareErrors = 0;
        ProcessCpu.Sample bareCpuBefore = null;
        ProcessCpu.Sample bareCpuAfter = null;
        try (CloseableHttpClient client = PagingBareLoop.client(PARALLELISM)) {
            for (int walk = 0; walk <= bareWalks; walk++) {
                stub.reset();
                ProcessCpu.Sample before = ProcessCpu.sample(-1, run.db().name());
                PagingBareLoop.Walk w = PagingBareLoop.walk(client, stub, PARALLELISM);
                ProcessCpu.Sample after = ProcessCpu.sample(-1, run.db().name());
                PagesStub.Round round = stub.round(pages);
                if (!round.exactlyOnce() || w.errors() > 0) {
                    problems.add("bare loop walk " + walk + ": " + round.describe() + ", " + w.errors() + " errors");
                }
                if (walk == 0) {
                    continue;
                }
                bareCpuBefore = bareCpuBefore == null ? before : bareCpuBefore;
                bareCpuAfter = after;
                bareRates.add(w.pagesPerSecond());
                bareSeconds += w.seconds();
                bareErrors += w.errors();
                run.log("  walk %d: %s pages/s (%.2f s), at most %d in flight at the stub, %.1f on average", walk,
                        Results.count(w.pagesPerSecond()), w.seconds(), round.maxInFlight(), round.meanInFlight());
            }
        }
        double bare = (double) pages * bareRates.size() / bareSeconds;
        Map<String, Object> bareCpu = ProcessCpu.between(bareCpuBefore, bareCpuAfter);
        run.log("bare loop: %s pages/s over %d walks; %s", Results.count(bare), bareRates.size(), ProcessCpu.describe(bareCpu));

        // 2. one Pollster with every role
        PollsterChild first = run.pollster("all-roles", PollsterChild.ALL_ROLES, jvm);
        PollsterApi api = new PollsterApi(first.base());
        String token = api.createUser("bench-paging").token();
        PageQueueProbe probe = run.own(PageQueueProbe.start(run.db(), PROBE_EVERY)); // once Pollster has made its tables
        Job job = new Job(api, token, stub, pages, probe, run.db());
        stub.reset();
        UUID jobId = api.createJob(token, """
                {"url":"%s","interval":"1h",
                 "pagination":{"type":"page","param":"page","sizeParam":"limit","size":%d,"totalPath":"$.count",
                               "parallelism":%d,"maxPages":%d}}""".formatted(stub.firstPageUrl(), PagesStub.PAGE_SIZE, PARALLELISM,
                Math.max(1_000, pages)));
        job.id = jobId;
        run.log("job %s created (interval 1h: its first run starts at once); the first run stores every page's hash: not counted",
                jobId);
        Processes one = new Processes(run, List.of(first), probe);
        Run firstRun = job.await(null, one, problems, "first run");
        run.log("  %s", firstRun);

        Phase single = phase(run, job, one, window, minRuns, problems, "one process", o.profile());

        // 3. a second process with only the poller role, on the same database
        PollsterChild second = run.pollster("poller-2", Set.of("poller"), jvm);
        Processes two = new Processes(run, List.of(first, second), probe);
        Run coldRun = job.next(two, problems, "second process warm-up");
        run.log("  %s (not counted: the second process's JIT is cold)", coldRun);
        Phase pair = phase(run, job, two, window, minRuns, problems, "two processes", false);

        double ratio = single.pagesPerSecond() / bare;
        double added = pair.pagesPerSecond() / single.pagesPerSecond() - 1;
        int checkedRuns = 2 + single.runs().size() + pair.runs().size();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("pages", pages);
        figures.put("pageSize", PagesStub.PAGE_SIZE);
        figures.put("parallelism", PARALLELISM);
        figures.put("upstreamDelayMs", delay.toMillis());
        figures.put("barePagesPerSecond", Results.round(bare, 0));
        figures.put("bareWalkPagesPerSecond", bareRates.stream().map(r -> Results.round(r, 0)).toList());
        figures.put("bareErrors", bareErrors);
        figures.put("bareCpu", bareCpu);
        figures.put("firstRun", firstRun.figures());
        figures.put("oneProcess", single.figures());
        figures.put("secondProcessWarmUpRun", coldRun.figures());
        figures.put("twoProcesses", pair.figures());
        figures.put("ratioOneProcessToBare", Results.round(ratio, 3));
        figures.put("ratioTargetMet", ratio >= TARGET_RATIO);
        figures.put("secondProcessAddedShare", Results.round(added, 3));
        figures.put("secondProcessTargetMet", added >= TARGET_SECOND);
        figures.put("runsChecked", checkedRuns);
        figures.put("problems", problems);
        run.record(String.format(Locale.ROOT, "%,d pages x %d items, upstream %d ms, parallelism %d: bare loop %s pages/s | "
                        + "one process %s pages/s = %.0f%% (target >= %.0f%%: %s) | two processes %s pages/s: the second adds %.0f%% "
                        + "(target >= %.0f%%: %s) | %s",
                pages, PagesStub.PAGE_SIZE, delay.toMillis(), PARALLELISM, Results.count(bare), Results.count(single.pagesPerSecond()),
                100 * ratio, 100 * TARGET_RATIO, ratio >= TARGET_RATIO ? "met" : "not met", Results.count(pair.pagesPerSecond()),
                100 * added, 100 * TARGET_SECOND, added >= TARGET_SECOND ? "met" : "not met",
                problems.isEmpty() ? "every page exactly once in " + checkedRuns + " runs, all succeeded"
                        : problems.size() + " correctness problems: " + problems.getFirst()), figures);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(problems.size() + " correctness problems: " + String.join("; ", problems));
        }
    }

    /** Runs back to back until the window is spent (at least {@code minRuns}); the CPU counted over the runs only. */
    private static Phase phase(ScenarioRun run, Job job, Processes processes, Duration window, int minRuns, List<String> problems,
                               String label, boolean profile) throws Exception {
        run.log("%s: runs back to back for %d s (at least %d)", label, window.toSeconds(), minRuns);
        long pid = processes.children.getFirst().pid();
        if (profile) {
            Jvm.startRecording(pid);
        }
        List<Prometheus> before = processes.metrics();
        List<Run> runs = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        while (runs.size() < minRuns || System.nanoTime() < deadline) {
            Run r = job.next(processes, problems, label + " run " + (runs.size() + 1));
            run.log("  %s", r);
            runs.add(r);
        }
        List<Prometheus> after = processes.metrics();
        if (profile) {
            Path recording = run.options().results().resolve("profiles").resolve(run.db().name() + "-paging.jfr");
            Jvm.stopRecording(pid, recording);
            System.out.print(JfrSummary.summarise(recording));
        }
        List<Double> pagesByProcess = new ArrayList<>();
        for (int i = 0; i < before.size(); i++) {
            pagesByProcess.add(after.get(i).sum("pollster_pages_total", "outcome=\"done\"")
                    - before.get(i).sum("pollster_pages_total", "outcome=\"done\""));
        }
        Cpu cpu = Cpu.sum(runs);
        Phase phase = new Phase(label, runs, pagesByProcess, cpu);
        run.log("%s: %s pages/s over %d runs (%s), pages fetched by each process %s; per page in each of the %d slots, ms: %s; "
                        + "the lock others waited for was held (shares of the time) %s; %s",
                label, Results.count(phase.pagesPerSecond()), runs.size(),
                String.join(", ", runs.stream().map(r -> Results.count(r.pagesPerSecond())).toList()),
                pagesByProcess.stream().map(Results::count).toList(), PARALLELISM, phase.perPageMs(), phase.blockers(),
                cpu.describe());
        return phase;
    }

    /** The job under test, and how one of its runs is started and waited for. */
    private static final class Job {

        private final PollsterApi api;
        private final String token;
        private final PagesStub stub;
        private final int pages;
        private final PageQueueProbe probe;
        private final BenchDatabase db;
        private UUID id;
        private UUID last;

        Job(PollsterApi api, String token, PagesStub stub, int pages, PageQueueProbe probe, BenchDatabase db) {
            this.api = api;
            this.token = token;
            this.stub = stub;
            this.pages = pages;
            this.probe = probe;
            this.db = db;
        }

        /** Starts the next run ({@code POST /run}) and waits for its end. */
        Run next(Processes processes, List<String> problems, String label) throws Exception {
            stub.reset();
            return await(() -> api.postEmpty("/api/v1/jobs/" + id + "/run", token, 202), processes, problems, label);
        }

        /** Waits for a run newer than the last one to finish, and checks it. */
        Run await(Trigger trigger, Processes processes, List<String> problems, String label) throws Exception {
            Processes.Sample cpuBefore = processes.sample();
            probe.reset();
            long posted = System.currentTimeMillis();
            if (trigger != null) {
                trigger.fire();
            }
            Duration timeout = Duration.ofSeconds(30).plusMillis(100L * pages);
            long deadline = System.nanoTime() + timeout.toNanos();
            // why: the end is watched in the database, not through the API: 20 authenticated requests a second
            // would be Pollster's work too (a profile showed them); the API is read once the run has ended
            boolean ended = false;
            while (!ended && System.nanoTime() < deadline) {
                Thread.sleep(POLL_EVERY);
                ended = db.queryLong(ENDED, id, last == null ? new UUID(0, 0) : last) > 0;
            }
            Processes.Sample cpuAfter = processes.sample();
            PageQueueProbe.Means waits = probe.means();
            JsonNode items = api.get("/api/v1/jobs/" + id + "/runs?limit=1", token).path("items");
            JsonNode current = items.isEmpty() ? null : items.get(0);
            if (current != null && UUID.fromString(current.get("id").asText()).equals(last)) {
                current = null; // no new run
            }
            if (!ended || current == null || current.path("finishedAt").isNull() || current.path("finishedAt").isMissingNode()) {
                throw new IllegalStateException(label + ": no run " + (current == null ? "started" : "finished") + " within "
                        + timeout.toSeconds() + " s; the newest: " + current + "; the stub saw " + stub.round(pages).requests()
                        + " requests");
            }
            last = UUID.fromString(current.get("id").asText());
            Thread.sleep(STRAGGLERS);
            PagesStub.Round round = stub.round(pages);
            JsonNode p = current.path("pages");
            Run r = new Run(label, last, current.path("status").asText(), p.path("total").asInt(-1), p.path("done").asInt(-1),
                    p.path("failed").asInt(-1), posted, Instant.parse(current.get("startedAt").asText()),
                    Instant.parse(current.get("finishedAt").asText()), round, processes.between(cpuBefore, cpuAfter), waits);
            String wrong = r.problem(pages);
            if (wrong != null) {
                problems.add(label + " (run " + last + "): " + wrong);
            }
            return r;
        }
    }

    private interface Trigger {
        void fire() throws Exception;
    }

    /**
     * One run as the API and the stub saw it.
     *
     * @param postedAtMillis when the harness asked for it (for the first run: created the job)
     */
    record Run(String label, UUID id, String status, int total, int done, int failed, long postedAtMillis, Instant startedAt,
               Instant finishedAt, PagesStub.Round round, Cpu cpu, PageQueueProbe.Means waits) {

        /** From the stub's arrival of the first page request to the run's end. */
        double seconds() {
            return (finishedAt.toEpochMilli() - round.firstArrivalEpochMillis()) / 1000.0;
        }

        double pagesPerSecond() {
            return done / seconds();
        }

        String problem(int pages) {
            List<String> wrong = new ArrayList<>();
            if (!status.equals("succeeded")) {
                wrong.add("status " + status);
            }
            if (total != pages || done != pages || failed != 0) {
                wrong.add("pages total " + total + ", done " + done + ", failed " + failed + " (expected " + pages + " done)");
            }
            if (!round.exactlyOnce()) {
                wrong.add(round.describe());
            }
            return wrong.isEmpty() ? null : String.join(", ", wrong);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %s, %d pages in %.2f s = %s pages/s (stub: first page to last answer %.2f s, "
                            + "at most %d in flight, %.1f on average; %s); asked -> page 1 %d ms; page tasks waiting for a "
                            + "claim %.1f, claimed %.1f, put off %.1f; backends waiting for a lock %.2f, their blockers idle in "
                            + "transaction %.2f, in WAL %.2f, running %.2f; %s",
                    label, status, done, seconds(), Results.count(pagesPerSecond()), round.seconds(), round.maxInFlight(),
                    round.meanInFlight(), round.describe(), round.firstArrivalEpochMillis() - postedAtMillis,
                    waits.waitingForClaim(), waits.claimed(), waits.putOff(), waits.lockWaiters(), waits.holderIdleInTransaction(),
                    waits.holderInWal(), waits.holderRunning(), cpu.describe());
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("status", status);
            f.put("pagesDone", done);
            f.put("seconds", Results.round(seconds(), 3));
            f.put("pagesPerSecond", Results.round(pagesPerSecond(), 0));
            f.put("stubSeconds", Results.round(round.seconds(), 3));
            f.put("maxInFlight", round.maxInFlight());
            f.put("meanInFlight", Results.round(round.meanInFlight(), 2));
            f.put("askedToFirstPageMs", round.firstArrivalEpochMillis() - postedAtMillis);
            f.put("runStartToFirstPageMs", round.firstArrivalEpochMillis() - startedAt.toEpochMilli());
            f.put("exactlyOnce", round.exactlyOnce());
            f.put("meanWaitingForClaim", Results.round(waits.waitingForClaim(), 2));
            f.put("meanClaimed", Results.round(waits.claimed(), 2));
            f.put("meanPutOff", Results.round(waits.putOff(), 2));
            f.put("meanLockWaiters", Results.round(waits.lockWaiters(), 2));
            f.put("cpu", cpu.figures());
            return f;
        }
    }

    /** Runs of one phase. */
    record Phase(String label, List<Run> runs, List<Double> pagesByProcess, Cpu cpu) {

        /** Pages over the runs' time: a long run weighs more. */
        double pagesPerSecond() {
            return runs.stream().mapToDouble(Run::done).sum() / runs.stream().mapToDouble(Run::seconds).sum();
        }

        double meanInFlight() {
            double busy = runs.stream().mapToDouble(r -> r.round().meanInFlight() * r.round().seconds()).sum();
            return busy / runs.stream().mapToDouble(r -> r.round().seconds()).sum();
        }

        /** A probe mean over the phase, each run weighted by its length. */
        private double mean(java.util.function.ToDoubleFunction<PageQueueProbe.Means> of) {
            return runs.stream().mapToDouble(r -> of.applyAsDouble(r.waits()) * r.seconds()).sum()
                    / runs.stream().mapToDouble(Run::seconds).sum();
        }

        /**
         * Where a page's time goes, by Little's law (mean pages in a state / pages per second): of
         * the {@code PARALLELISM} slots a run keeps busy, the time per page in each slot — at the
         * upstream, waiting for a claim, waiting for a lock, and the rest (the handler's own work,
         * PostgreSQL's statements and commits, a host slot, the claim's and record's round trips).
         */
        /**
         * What the backends others wait for a lock behind were doing, as shares of the time: their
         * sum is the share of the time someone waited at all; its parts say whether the holder was
         * waiting for Pollster's next statement, for WAL, or running a statement.
         */
        Map<String, Object> blockers() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("anyShare", Results.round(mean(PageQueueProbe.Means::holders), 3));
            f.put("idleInTransactionShare", Results.round(mean(PageQueueProbe.Means::holderIdleInTransaction), 3));
            f.put("walShare", Results.round(mean(PageQueueProbe.Means::holderInWal), 3));
            f.put("runningShare", Results.round(mean(PageQueueProbe.Means::holderRunning), 3));
            return f;
        }

        Map<String, Object> perPageMs() {
            double rate = pagesPerSecond();
            double slot = PARALLELISM / rate;
            double upstream = meanInFlight() / rate;
            double claim = mean(PageQueueProbe.Means::waitingForClaim) / rate;
            double lock = mean(PageQueueProbe.Means::lockWaiters) / rate;
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("slot", Results.round(1000 * slot, 1));
            f.put("upstream", Results.round(1000 * upstream, 1));
            f.put("waitingForClaim", Results.round(1000 * claim, 1));
            f.put("waitingForLock", Results.round(1000 * lock, 1));
            f.put("rest", Results.round(1000 * (slot - upstream - claim - lock), 1));
            return f;
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("pagesPerSecond", Results.round(pagesPerSecond(), 0));
            f.put("runs", runs.size());
            f.put("runPagesPerSecond", runs.stream().map(r -> Results.round(r.pagesPerSecond(), 0)).toList());
            f.put("meanInFlight", Results.round(meanInFlight(), 2));
            f.put("maxInFlight", runs.stream().mapToInt(r -> r.round().maxInFlight()).max().orElse(0));
            f.put("pagesFetchedByProcess", pagesByProcess.stream().map(p -> Results.round(p, 0)).toList());
            f.put("meanWaitingForClaim", Results.round(mean(PageQueueProbe.Means::waitingForClaim), 2));
            f.put("meanClaimed", Results.round(mean(PageQueueProbe.Means::claimed), 2));
            f.put("meanPutOff", Results.round(mean(PageQueueProbe.Means::putOff), 2));
            f.put("meanLockWaiters", Results.round(mean(PageQueueProbe.Means::lockWaiters), 2));
            f.put("meanActiveBackends", Results.round(mean(PageQueueProbe.Means::activeBackends), 2));
            f.put("lockBlockers", blockers());
            f.put("perPageMsInASlot", perPageMs());
            f.put("cpu", cpu.figures());
            return f;
        }
    }

    /** The Pollster processes of a phase: their metrics, and their CPU with PostgreSQL's, the harness's and the machine's. */
    private static final class Processes {

        private final ScenarioRun run;
        private final List<PollsterChild> children;
        private final PageQueueProbe probe;

        Processes(ScenarioRun run, List<PollsterChild> children, PageQueueProbe probe) {
            this.run = run;
            this.children = children;
            this.probe = probe;
        }

        record Sample(ProcessCpu.Sample common, List<Long> pollsters, long steal, long probe) {
        }

        Sample sample() {
            List<Long> ticks = children.stream().map(c -> ProcessCpu.ticksOf(c.pid())).toList();
            long probeTicks = probe.backendPid() < 0 ? 0 : Math.max(0, ProcessCpu.ticksOf(probe.backendPid()));
            return new Sample(ProcessCpu.sample(-1, run.db().name()), ticks, stealTicks(), probeTicks);
        }

        /** Time the hypervisor gave this VM's CPUs to someone else ({@code /proc/stat}, all CPUs). */
        private static long stealTicks() {
            try {
                String[] cpu = java.nio.file.Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
                return cpu.length > 8 ? Long.parseLong(cpu[8]) : 0;
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }

        Cpu between(Sample a, Sample b) {
            List<Long> pollsters = new ArrayList<>();
            for (int i = 0; i < a.pollsters().size(); i++) {
                pollsters.add(b.pollsters().get(i) - a.pollsters().get(i));
            }
            ProcessCpu.Sample x = a.common();
            ProcessCpu.Sample y = b.common();
            // why: the probe's backend serves the bench database too; its sampling is not Pollster's load
            long probe = b.probe() - a.probe();
            return new Cpu((y.nanos() - x.nanos()) / 1e9, pollsters, y.harness() - x.harness(),
                    y.postgresBench() - x.postgresBench() - probe, y.postgresAll() - x.postgresAll() - probe, probe,
                    y.machine().busyTicks() - x.machine().busyTicks(), y.machine().totalTicks() - x.machine().totalTicks(),
                    b.steal() - a.steal());
        }

        List<Prometheus> metrics() throws IOException, InterruptedException {
            List<Prometheus> all = new ArrayList<>();
            for (PollsterChild child : children) {
                all.add(child.metrics());
            }
            return all;
        }
    }

    /** CPU ticks (1/100 s) over one or more intervals; shown as cores busy on average. */
    record Cpu(double seconds, List<Long> pollsters, long harness, long postgresBench, long postgresAll, long probe,
               long machineBusy, long machineTotal, long steal) {

        static Cpu sum(List<Run> runs) {
            Cpu total = null;
            for (Run r : runs) {
                total = total == null ? r.cpu() : total.plus(r.cpu());
            }
            return total;
        }

        Cpu plus(Cpu o) {
            List<Long> p = new ArrayList<>();
            for (int i = 0; i < pollsters.size(); i++) {
                p.add(pollsters.get(i) + o.pollsters.get(i));
            }
            return new Cpu(seconds + o.seconds, p, harness + o.harness, postgresBench + o.postgresBench, postgresAll + o.postgresAll,
                    probe + o.probe, machineBusy + o.machineBusy, machineTotal + o.machineTotal, steal + o.steal);
        }

        private double cores(long ticks) {
            return ProcessCpu.cores(ticks, seconds);
        }

        /** Busy CPU no process of ours used: other processes, the kernel's own work (loopback networking), steal. */
        long others() {
            return machineBusy - pollsters.stream().mapToLong(Long::longValue).sum() - postgresAll - probe - harness;
        }

        double machineBusyShare() {
            return machineTotal <= 0 ? Double.NaN : (double) machineBusy / machineTotal;
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("seconds", Results.round(seconds, 2));
            f.put("pollsters", pollsters.stream().map(this::cores).toList());
            f.put("harnessAndStub", cores(harness));
            f.put("postgresBenchDb", cores(postgresBench));
            f.put("postgresAll", cores(postgresAll));
            f.put("probeBackend", cores(probe));
            f.put("others", cores(others()));
            f.put("steal", cores(steal));
            f.put("machineBusyShare", Results.round(machineBusyShare(), 3));
            return f;
        }

        String describe() {
            return "cpu: pollster " + pollsters.stream().map(t -> Double.toString(cores(t))).toList() + ", postgres "
                    + cores(postgresBench) + " (all postgres processes " + cores(postgresAll) + "; the probe's backend " + cores(probe)
                    + " apart), harness and stub " + cores(harness)
                    + ", the rest of the machine " + cores(others()) + " (steal " + cores(steal) + ") cores; machine "
                    + Math.round(100 * machineBusyShare()) + "% busy";
        }
    }
}
