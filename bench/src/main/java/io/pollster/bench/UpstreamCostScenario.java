package io.pollster.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What polling costs the upstream, in two parts, against a {@link CountingUpstream} and one
 * Pollster with every role.
 *
 * <p><b>The shared cache.</b> 100 identical jobs (the same URL, 5 users), each polled every
 * {@code ttl} — first without {@code cache}, then, once those are stopped, 100 more with
 * {@code "cache":{"ttl":ttl,"waitTimeout":ttl/2}} on a URL of their own. Without the cache the
 * upstream sees 100 calls per ttl, with it ideally one. The jobs are created one every ttl/100, so
 * their due times spread over the interval as independent users' jobs would; the window opens once
 * every job has polled twice and one more interval has passed — steady state, no backlog. Pollster
 * answers 400 to a {@code cache} field it does not know; then that half is reported as not measured.
 *
 * <p><b>Conditional requests and adaptive intervals.</b> A source that changes once every 10
 * minutes, polled every 10 seconds, over one hour — compressed: the hour lasts {@code --hour}
 * (60 s), so 10 s become 167 ms and 10 minutes 10 s (the child runs with a lower
 * {@code pollster.min-interval} to allow that). Six jobs poll at once, each its own resource of the
 * same source: naive (no {@code ETag}, fixed interval), ETag alone (the stub sends {@code ETag} and
 * answers a matching {@code If-None-Match} with a bodiless 304), adaptive alone
 * ({@code "adaptive":{"min":<interval>,"max":<10 minutes>}}), both, and the naive and combined ones
 * again with gzip bodies. The figure is the bytes the stub wrote — status lines, headers and bodies,
 * counted as written — over the hour, and how late each variant saw the changes (adaptive polling
 * pays for its savings in freshness).
 *
 * <p>The hour runs first, then the cache part's two halves; at smoke size the hour runs beside them.
 */
final class UpstreamCostScenario {

    static final int JOBS = 100;
    static final int USERS = 5;
    static final Duration HOUR = Duration.ofHours(1);
    static final Duration POLL_EVERY = Duration.ofSeconds(10);
    static final Duration CHANGE_EVERY = Duration.ofMinutes(10);
    static final double TARGET_FEWER = 10;
    /** The child allows intervals down to this, or to the compressed poll interval if that is shorter. */
    static final Duration MIN_INTERVAL = Duration.ofMillis(100);

    private static final String POLLED_TWICE = """
            SELECT count(DISTINCT p.job_id)
            FROM polls p
            JOIN jobs j ON j.id = p.job_id
            WHERE j.spec ->> 'url' = ?
            """;
    private static final String POLL_QUEUE_DEPTH = "SELECT count(*) FROM queue_tasks WHERE queue = 'poll'";

    /** One way of polling the slowly changing source. */
    record Variant(String name, String path, boolean etag, boolean adaptive, boolean gzip) {
    }

    static final Variant NAIVE = new Variant("naive", "/hour/naive", false, false, false);
    static final Variant ETAG = new Variant("etag", "/hour/etag", true, false, false);
    static final Variant ADAPTIVE = new Variant("adaptive", "/hour/adaptive", false, true, false);
    static final Variant BOTH = new Variant("etag+adaptive", "/hour/etag-adaptive", true, true, false);
    static final Variant NAIVE_GZIP = new Variant("naive, gzip", "/hour/naive-gzip", false, false, true);
    static final Variant BOTH_GZIP = new Variant("etag+adaptive, gzip", "/hour/etag-adaptive-gzip", true, true, true);
    static final List<Variant> VARIANTS = List.of(NAIVE, ETAG, ADAPTIVE, BOTH, NAIVE_GZIP, BOTH_GZIP);

    private UpstreamCostScenario() {
    }

    static void run(ScenarioRun run) throws Exception {
        Options o = run.options();
        Duration ttl = o.ttl(Duration.ofSeconds(2), Duration.ofSeconds(1));
        Duration window = o.window(Duration.ofSeconds(20), Duration.ofSeconds(1));
        Duration hour = o.hour(Duration.ofSeconds(60), Duration.ofSeconds(10));
        Scale scale = new Scale(hour);
        List<String> problems = new ArrayList<>();

        CountingUpstream stub = run.own(CountingUpstream.start());
        List<String> jvm = new ArrayList<>();
        jvm.add("-Dpollster.min-interval=" + text(min(MIN_INTERVAL, scale.interval())));
        if (o.smoke()) {
            jvm.addAll(PollsterChild.FAST_START);
        }
        PollsterChild pollster = run.pollster("all-roles", PollsterChild.ALL_ROLES, jvm);
        PollsterApi api = new PollsterApi(pollster.base());
        String backend = cacheBackend(api);
        List<PollsterApi.NewUser> users = new ArrayList<>();
        for (int i = 1; i <= USERS; i++) {
            users.add(api.createUser("upstream-cost-" + i));
        }

        // why: the hour goes first, so that the JIT has compiled the poll path before the cache part's CPU is measured;
        // at smoke size it runs beside the cache part instead, to keep `all --smoke` short (its figures mean nothing then)
        HourRun hourRun = HourRun.begin(run, pollster, api, users.getFirst(), stub, scale);
        Hour compressed = o.smoke() ? null : hourRun.finish(problems);
        Shared plain = shared(run, pollster, api, users, stub, "/feed/plain", false, ttl, window, problems);
        Shared cached = shared(run, pollster, api, users, stub, "/feed/cached", true, ttl, window, problems);
        if (compressed == null) {
            compressed = hourRun.finish(problems);
        }
        if (stub.unknownRequests() > 0) {
            problems.add(stub.unknownRequests() + " requests for paths the stub does not serve");
        }

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jobs", JOBS);
        figures.put("users", USERS);
        figures.put("ttlSeconds", ttl.toMillis() / 1000.0);
        figures.put("waitTimeoutSeconds", ttl.dividedBy(2).toMillis() / 1000.0);
        figures.put("jobIntervalSeconds", ttl.toMillis() / 1000.0);
        figures.put("cacheBackend", backend);
        figures.put("withoutCache", plain.figures());
        figures.put("withCache", cached.figures());
        figures.put("hour", compressed.figures());
        figures.put("problems", problems);
        double fewer = compressed.fewer(BOTH);
        run.record(String.format(Locale.ROOT, "%d identical jobs of %d users, each polled every %s: upstream calls per %s without "
                        + "cache %s, with cache (%s; ttl %s, waitTimeout %s) %s - target 1 per ttl, not %d | a source changing every "
                        + "10 min, polled every 10 s, one hour in %s: naive %s bytes in %s answers, ETag + adaptive %s bytes in %s "
                        + "= %.1fx fewer (target >= %.0fx: %s); ETag alone %.1fx, adaptive alone %.1fx; with gzip bodies %.1fx%s",
                JOBS, USERS, text(ttl), text(ttl), plain.summary(), backend, text(ttl), text(ttl.dividedBy(2)), cached.summary(), JOBS,
                text(hour), Results.count(compressed.tally(NAIVE).bytesSent()),
                Results.count(compressed.tally(NAIVE).requests()), Results.count(compressed.tally(BOTH).bytesSent()),
                Results.count(compressed.tally(BOTH).requests()), fewer, TARGET_FEWER, fewer >= TARGET_FEWER ? "met" : "not met",
                compressed.fewer(ETAG), compressed.fewer(ADAPTIVE), compressed.fewer(NAIVE_GZIP, BOTH_GZIP),
                problems.isEmpty() ? "" : " | " + problems.size() + " problems: " + problems.getFirst()), figures);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(problems.size() + " problems: " + String.join("; ", problems));
        }
    }

    // --- the shared cache -----------------------------------------------------------------------

    private record JobRef(String token, UUID id) {
    }

    /** One half of the cache part: its jobs' calls and polls in the window, or why it was not measured. */
    private record Shared(boolean cache, String refused, Duration ttl, double seconds, long calls, double pollsPerSecond,
                          Map<String, Double> outcomes, Map<String, Double> cacheResults, double skippedPerSecond,
                          Prometheus.Histogram duration, long depthBefore, long depthAfter, Map<String, Object> cpu) {

        static Shared refused(Duration ttl, String why) {
            return new Shared(true, why, ttl, 0, 0, 0, Map.of(), Map.of(), 0, null, 0, 0, Map.of());
        }

        double callsPerTtl() {
            return calls / (seconds / (ttl.toMillis() / 1000.0));
        }

        String callsPerTtlText() {
            return String.format(Locale.ROOT, "%.2f", callsPerTtl());
        }

        /** Pollster's own CPU per poll, in milliseconds. */
        double cpuMsPerPoll(String process) {
            return ((Number) cpu.get(process)).doubleValue() * 1000 / pollsPerSecond;
        }

        String summary() {
            return refused != null ? "not measured (" + refused.substring(0, refused.indexOf(':')) + ")"
                    : callsPerTtlText() + " (" + Results.count(pollsPerSecond) + " polls/s)";
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("cache", cache);
            if (refused != null) {
                f.put("notMeasured", refused);
                return f;
            }
            f.put("windowSeconds", Results.round(seconds, 1));
            f.put("upstreamCalls", calls);
            f.put("upstreamCallsPerTtl", Results.round(callsPerTtl(), 2));
            f.put("pollsPerSecond", Results.round(pollsPerSecond, 1));
            f.put("pollsPerJobPerTtl", Results.round(pollsPerSecond * ttl.toMillis() / 1000.0 / JOBS, 2));
            f.put("outcomes", outcomes);
            f.put("cacheRequests", cacheResults);
            f.put("skippedDueTimesPerSecond", Results.round(skippedPerSecond, 2));
            f.put("pollDurationP50Seconds", Results.round(duration.quantile(0.5), 4));
            f.put("pollDurationP99Seconds", Results.round(duration.quantile(0.99), 4));
            f.put("queueDepthBefore", depthBefore);
            f.put("queueDepthAfter", depthAfter);
            f.put("cpu", cpu);
            f.put("pollsterCpuMsPerPoll", Results.round(cpuMsPerPoll("pollster"), 3));
            f.put("postgresCpuMsPerPoll", Results.round(cpuMsPerPoll("postgresBenchDb"), 3));
            return f;
        }
    }

    private static Shared shared(ScenarioRun run, PollsterChild pollster, PollsterApi api, List<PollsterApi.NewUser> users,
                                 CountingUpstream stub, String path, boolean cache, Duration ttl, Duration window,
                                 List<String> problems) throws Exception {
        String label = cache ? "with cache" : "without cache";
        stub.serve(path, new CountingUpstream.Behaviour(false, false, null));
        String url = stub.url(path);
        String cacheField = cache ? ",\"cache\":{\"ttl\":\"" + text(ttl) + "\",\"waitTimeout\":\"" + text(ttl.dividedBy(2)) + "\"}" : "";
        run.log("%s: %d identical jobs of %d users on %s, every %s%s, one created every %s", label, JOBS, USERS, url, text(ttl),
                cache ? ", " + cacheField.substring(1) : "", text(ttl.dividedBy(JOBS)));
        List<JobRef> jobs = new ArrayList<>();
        long start = System.nanoTime();
        for (int k = 0; k < JOBS; k++) {
            sleepUntil(start + k * ttl.toNanos() / JOBS);
            PollsterApi.NewUser user = users.get(k % USERS);
            PollsterApi.Answer answer = api.post("/api/v1/jobs", user.token(), """
                    {"name":"identical-%d","url":"%s","interval":"%s"%s}""".formatted(k, url, text(ttl), cacheField));
            if (answer.status() != 201) {
                if (k == 0 && cache && answer.status() == 400) {
                    String text = answer.text().strip();
                    String why = "this Pollster refuses the cache field: answered " + answer.status() + " "
                            + (text.length() > 300 ? text.substring(0, 300) + "…" : text);
                    run.log("%s: not measured: %s", label, why);
                    return Shared.refused(ttl, why);
                }
                throw new IOException("POST /api/v1/jobs answered " + answer.status() + ": " + answer.text());
            }
            jobs.add(new JobRef(user.token(), UUID.fromString(answer.body().get("id").asText())));
        }

        // warm-up: every job has polled twice (its first history entry closed), then one more interval
        long deadline = System.nanoTime() + ttl.multipliedBy(4).plusSeconds(30).toNanos();
        long polledTwice = 0;
        while (System.nanoTime() < deadline && (polledTwice = run.db().queryLong(POLLED_TWICE, url)) < JOBS) {
            Thread.sleep(200);
        }
        if (polledTwice < JOBS) {
            problems.add(label + ": only " + polledTwice + " of " + JOBS + " jobs polled twice in the warm-up");
        }
        if (!run.options().smoke()) {
            Thread.sleep(ttl);
        }

        long depthBefore = run.db().queryLong(POLL_QUEUE_DEPTH);
        CountingUpstream.Tally[] tallies = new CountingUpstream.Tally[2];
        run.log("%s: measuring %d s (poll queue depth %,d)", label, window.toSeconds(), depthBefore);
        ScenarioRun.Window w = run.measure(pollster, window, cache ? "cache" : "no-cache",
                () -> tallies[0] = stub.tally(path), () -> tallies[1] = stub.tally(path));
        long depthAfter = run.db().queryLong(POLL_QUEUE_DEPTH);
        CountingUpstream.Tally calls = tallies[1].minus(tallies[0]);
        Shared measured = new Shared(cache, null, ttl, w.seconds(), calls.requests(), w.rate("pollster_polls_total"),
                deltaByLabel(w, "pollster_polls_total", "outcome"), deltaByLabel(w, "pollster_cache_requests_total", "result"),
                w.rate("pollster_fires_skipped_total"), w.histogram("pollster_poll_duration_seconds"), depthBefore, depthAfter,
                w.cpu());
        run.log("%s: %,d upstream calls in %.1f s = %s per %s; %s polls/s %s, cache %s, %s due times/s skipped, poll duration "
                        + "p50 %s p99 %s, poll queue %,d -> %,d; %s", label, calls.requests(), w.seconds(), measured.callsPerTtlText(),
                text(ttl), Results.count(measured.pollsPerSecond()), measured.outcomes(), measured.cacheResults(),
                Results.ratio(measured.skippedPerSecond()), Results.millis(measured.duration().quantile(0.5)),
                Results.millis(measured.duration().quantile(0.99)), depthBefore, depthAfter, ProcessCpu.describe(w.cpu()));
        if (calls.requests() == 0) {
            problems.add(label + ": the upstream saw no call in the window");
        }
        stop(api, jobs);
        return measured;
    }

    private static Map<String, Double> deltaByLabel(ScenarioRun.Window w, String metric, String label) {
        Map<String, Double> delta = new TreeMap<>(w.after().byLabel(metric, label));
        w.before().byLabel(metric, label).forEach((k, v) -> delta.merge(k, -v, Double::sum));
        delta.replaceAll((k, v) -> Results.round(v, 0));
        return delta;
    }

    /** Stops the jobs, several requests at once. */
    private static void stop(PollsterApi api, List<JobRef> jobs) throws Exception {
        try (ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (JobRef job : jobs) {
                done.add(requests.submit(() -> {
                    api.postEmpty("/api/v1/jobs/" + job.id() + "/stop", job.token(), 200);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
    }

    // --- the compressed hour --------------------------------------------------------------------

    /**
     * An hour lasting {@code hour}: every length of the real hour divided by {@code hour / 1 h}.
     *
     * @param hour how long the simulated hour lasts here
     */
    record Scale(Duration hour) {

        /** Simulated seconds per real second. */
        double factor() {
            return (double) HOUR.toMillis() / hour.toMillis();
        }

        Duration of(Duration simulated) {
            return Duration.ofMillis(Math.max(1, Math.round(simulated.toMillis() / factor())));
        }

        Duration interval() {
            return of(POLL_EVERY);
        }

        Duration changeEvery() {
            return of(CHANGE_EVERY);
        }
    }

    /** One variant's job over the hour: the stub's tally, the changes it saw and how late, the job's own counts. */
    private record Polled(Variant variant, UUID job, CountingUpstream.Tally tally, CountingUpstream.Lags lags, JsonNode stats,
                          String effectiveInterval) {
    }

    private record Hour(Scale scale, double seconds, Map<Variant, Polled> polled, Map<String, Double> outcomes,
                        Map<String, Object> cpu) {

        CountingUpstream.Tally tally(Variant v) {
            return polled.get(v).tally();
        }

        /** How many times fewer bytes the variant cost than {@code baseline}. */
        double fewer(Variant baseline, Variant v) {
            return (double) tally(baseline).bytesSent() / Math.max(1, tally(v).bytesSent());
        }

        double fewer(Variant v) {
            return fewer(NAIVE, v);
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("realSeconds", Results.round(seconds, 1));
            f.put("simulatedSecondsPerSecond", Results.round(scale.factor(), 1));
            f.put("pollIntervalMs", scale.interval().toMillis());
            f.put("changeEveryMs", scale.changeEvery().toMillis());
            f.put("bytesCounted", "status line + headers + body, as the stub wrote them to the socket");
            Map<String, Object> variants = new LinkedHashMap<>();
            for (Polled p : polled.values()) {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("etag", p.variant().etag());
                v.put("adaptive", p.variant().adaptive());
                v.put("gzip", p.variant().gzip());
                v.putAll(p.tally().figures());
                Variant baseline = p.variant().gzip() ? NAIVE_GZIP : NAIVE;
                v.put("fewerBytesThan" + (p.variant().gzip() ? "NaiveGzip" : "Naive"), Results.round(fewer(baseline, p.variant()), 2));
                v.put("changes", p.lags().lags().size());
                v.put("changesMissed", p.lags().missed());
                v.put("changeSeenLateMeanSeconds", Results.round(p.lags().meanSeconds(), 3));
                v.put("changeSeenLateMaxSeconds", Results.round(p.lags().maxSeconds(), 3));
                v.put("changeSeenLateMeanSimulatedMinutes", Results.round(p.lags().meanSeconds() * scale.factor() / 60, 2));
                v.put("jobStats", p.stats());
                v.put("effectiveIntervalAtEnd", p.effectiveInterval());
                variants.put(p.variant().name(), v);
            }
            f.put("variants", variants);
            f.put("targetFewer", TARGET_FEWER);
            f.put("targetMet", fewer(BOTH) >= TARGET_FEWER);
            f.put("outcomes", outcomes);
            f.put("cpu", cpu);
            return f;
        }
    }

    /** The hour's jobs, started by {@link #begin}; {@link #finish} waits the hour out and reads what it cost. */
    private static final class HourRun {

        private final ScenarioRun run;
        private final PollsterChild pollster;
        private final PollsterApi api;
        private final PollsterApi.NewUser user;
        private final CountingUpstream stub;
        private final Scale scale;
        private final Prometheus before;
        private final ProcessCpu.Sample cpuBefore;
        private final long end;
        private final Map<Variant, UUID> jobs = new LinkedHashMap<>();

        private HourRun(ScenarioRun run, PollsterChild pollster, PollsterApi api, PollsterApi.NewUser user, CountingUpstream stub,
                        Scale scale) throws IOException, InterruptedException {
            this.run = run;
            this.pollster = pollster;
            this.api = api;
            this.user = user;
            this.stub = stub;
            this.scale = scale;
            this.before = pollster.metrics();
            this.cpuBefore = ProcessCpu.sample(pollster.pid(), run.db().name());
            stub.restartClock();
            this.end = stub.epochNanos() + scale.hour().toNanos();
        }

        /** Serves the variants' resources, starts the source's clock and creates one job per variant (each polls at once). */
        static HourRun begin(ScenarioRun run, PollsterChild pollster, PollsterApi api, PollsterApi.NewUser user,
                             CountingUpstream stub, Scale scale) throws IOException, InterruptedException {
            Duration interval = scale.interval();
            Duration changeEvery = scale.changeEvery();
            for (Variant v : VARIANTS) {
                stub.serve(v.path(), new CountingUpstream.Behaviour(v.etag(), v.gzip(), changeEvery));
            }
            run.log("one hour in %s: %d jobs polling every %s a source that changes every %s (adaptive: min %s, max %s)",
                    text(scale.hour()), VARIANTS.size(), text(interval), text(changeEvery), text(interval), text(changeEvery));
            HourRun hour = new HourRun(run, pollster, api, user, stub, scale);
            for (Variant v : VARIANTS) {
                String adaptive = v.adaptive()
                        ? ",\"adaptive\":{\"min\":\"" + text(interval) + "\",\"max\":\"" + text(changeEvery) + "\"}" : "";
                hour.jobs.put(v, api.createJob(user.token(), """
                        {"name":"hour-%s","url":"%s","interval":"%s"%s}""".formatted(v.path().substring("/hour/".length()),
                        stub.url(v.path()), text(interval), adaptive)));
            }
            return hour;
        }

        Hour finish(List<String> problems) throws Exception {
            sleepUntil(end);
            Map<Variant, CountingUpstream.Tally> tallies = new LinkedHashMap<>();
            for (Variant v : VARIANTS) {
                tallies.put(v, stub.tally(v.path()));
            }
            double seconds = (System.nanoTime() - stub.epochNanos()) / 1e9;
            ProcessCpu.Sample cpuAfter = ProcessCpu.sample(pollster.pid(), run.db().name());
            Prometheus after = pollster.metrics();
            Map<String, Double> outcomes = new TreeMap<>(after.byLabel("pollster_polls_total", "outcome"));
            before.byLabel("pollster_polls_total", "outcome").forEach((k, v) -> outcomes.merge(k, -v, Double::sum));

            Map<Variant, Polled> polled = new LinkedHashMap<>();
            for (Variant v : VARIANTS) {
                PollsterApi.Answer stopped = api.post("/api/v1/jobs/" + jobs.get(v) + "/stop", user.token(), null);
                if (stopped.status() != 200 || stopped.body() == null) {
                    throw new IOException("POST /api/v1/jobs/" + jobs.get(v) + "/stop answered " + stopped.status() + ": "
                            + stopped.text());
                }
                JsonNode job = stopped.body();
                CountingUpstream.Tally t = tallies.get(v);
                CountingUpstream.Lags lags = stub.lags(v.path(), end);
                polled.put(v, new Polled(v, jobs.get(v), t, lags, job.path("stats"), job.path("effectiveInterval").asText(null)));
                run.log("  %-20s %,9d bytes sent (headers %,d, bodies %,d), %,d received; %,4d requests: %,d x 200, %,d x 304; "
                                + "%d changes seen %.2f s late on average (%.1f simulated minutes), at most %.2f s, %d missed; "
                                + "job: %s%s",
                        v.name(), t.bytesSent(), t.headerBytesSent(), t.bodyBytesSent(), t.bytesReceived(), t.requests(), t.ok(),
                        t.notModified(), lags.lags().size() - lags.missed(), lags.meanSeconds(),
                        lags.meanSeconds() * scale.factor() / 60, lags.maxSeconds(), lags.missed(), job.path("stats"),
                        v.adaptive() ? ", effective interval at the end " + job.path("effectiveInterval").asText("?") : "");
                if (t.requests() == 0) {
                    problems.add("hour, " + v.name() + ": the upstream saw no request");
                }
            }
            Hour hour = new Hour(scale, seconds, polled, outcomes, ProcessCpu.between(cpuBefore, cpuAfter));
            run.log("one hour in %s: ETag + adaptive cost %.1fx fewer bytes than naive polling (ETag alone %.1fx, adaptive alone "
                            + "%.1fx; gzip bodies %.1fx); pollster polls %s; %s", text(scale.hour()), hour.fewer(BOTH),
                    hour.fewer(ETAG), hour.fewer(ADAPTIVE), hour.fewer(NAIVE_GZIP, BOTH_GZIP), outcomes,
                    ProcessCpu.describe(hour.cpu()));
            return hour;
        }
    }

    // --- helpers ----------------------------------------------------------------------------------

    /** The shared cache's backend as {@code GET /cluster} names it (POLLSTER_CACHE, or -Dpollster.cache=); older jars do not say. */
    private static String cacheBackend(PollsterApi api) throws InterruptedException {
        try {
            return api.get("/api/v1/cluster", PollsterChild.ADMIN_TOKEN).path("cache").asText("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** As the API takes it: {@code 2s}, {@code 167ms}. */
    static String text(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            Thread.sleep(Duration.ofNanos(left));
        }
    }
}
