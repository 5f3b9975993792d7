package io.pollster.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import com.sun.net.httpserver.HttpServer;

/**
 * Webhook deliveries: 1,000 jobs (made through the API, each with one webhook output to a local
 * receiver that answers 204 at once), events written into PostgreSQL by the harness at a steady
 * rate, as another node's polls would commit them. First the rate is raised until the deliveries
 * queue grows (demand above what Pollster sends): the deliveries/s measured then is the capacity.
 * Then half that rate, where the commit → receiver-2xx latency (Pollster's own
 * {@code pollster_delivery_latency} histogram) is read. Pollster runs with the {@code api} and
 * {@code poller} roles; its sender looks for work every {@code pollster.outputs.poll-interval}
 * (events from other nodes wake it no sooner).
 */
final class DeliveriesScenario {

    static final int MAX_RATE_STEPS = 5;
    static final int USERS = 4;

    /** {@code :n} events for jobs picked at random, each with its delivery to the job's one output. */
    private static final String EMIT = """
            WITH picked AS (
                SELECT j.id, j.owner_id
                FROM generate_series(1, ?) g
                CROSS JOIN LATERAL (SELECT id, owner_id FROM bench_jobs WHERE n = CAST(floor(random() * ?) AS INT) + 0 * g) j
            ), e AS (
                INSERT INTO events (id, job_id, owner_id, type, occurred_at, data)
                SELECT gen_random_uuid(), id, owner_id, 'version.created', clock_timestamp(), CAST('{"bench":true}' AS JSONB)
                FROM picked
                RETURNING seq, job_id
            )
            INSERT INTO deliveries (event_seq, job_id, output, next_attempt_at)
            SELECT seq, job_id, 0,
                   CASE WHEN EXISTS (SELECT 1 FROM deliveries p WHERE p.job_id = e.job_id AND p.output = 0 AND p.state = 'pending')
                   THEN CAST('infinity' AS TIMESTAMPTZ) ELSE now() END
            FROM e
            """;

    private DeliveriesScenario() {
    }

    static void run(ScenarioRun run) throws Exception {
        Options o = run.options();
        int jobs = o.jobs(1_000, 50);
        Duration window = o.window(Duration.ofSeconds(20), Duration.ofSeconds(2));
        Duration settle = o.smoke() ? Duration.ofSeconds(1) : Duration.ofSeconds(5);
        BenchDatabase db = run.db();

        LongAdder received = new LongAdder();
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        receiver.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            received.increment();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        run.own((AutoCloseable) () -> receiver.stop(0));
        String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";

        PollsterChild pollster = run.pollster("deliveries", Set.of("api", "poller"), List.of());
        PollsterApi api = new PollsterApi(pollster.base());
        // why: one user may hold a quarter of the sending slots; four fill them all
        List<String> tokens = new java.util.ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            tokens.add(api.createUser("bench-" + u).token());
        }
        run.log("creating %,d jobs of %d users with a webhook output each (stopped: the harness makes their events)", jobs, USERS);
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < jobs; i++) {
            String body = """
                    {"url":"http://127.0.0.1:9/never-polled","interval":"1d","active":false,
                     "outputs":[{"type":"webhook","url":"%s"}]}""".formatted(hook);
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(pollster.base().resolve("/api/v1/jobs"))
                    .header("Authorization", "Bearer " + tokens.get(i % USERS)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 201) {
                throw new IOException("creating a job answered " + created.statusCode() + ": " + created.body());
            }
        }
        db.execute("CREATE TABLE bench_jobs AS SELECT CAST(row_number() OVER () - 1 AS INT) AS n, id, owner_id FROM jobs");
        db.execute("CREATE UNIQUE INDEX ON bench_jobs (n)");

        // 1. capacity: raise the rate until the queue grows
        double rate = 500;
        double capacity = 0;
        ScenarioRun.Window saturated = null;
        for (int step = 0; step < MAX_RATE_STEPS; step++) {
            try (Emitter emitter = Emitter.start(db, rate, jobs)) {
                Thread.sleep(settle);
                long depthBefore = pending(db);
                ScenarioRun.Window w = run.measure(pollster, window, "deliveries-" + step);
                long depthAfter = pending(db);
                double sent = delivered(w) / w.seconds();
                run.log("offered %s events/s: %s delivered/s, queue %,d -> %,d; %s", Results.count(emitter.rate()), Results.count(sent),
                        depthBefore, depthAfter, ProcessCpu.describe(w.cpu()));
                capacity = sent;
                saturated = w;
                if (depthAfter > depthBefore + emitter.rate() * w.seconds() * 0.05) {
                    break; // demand above what Pollster sends: it sends at capacity
                }
                rate *= 2;
            }
            drain(db);
        }
        drain(db);

        // 2. latency at half of it
        double half = Math.max(1, capacity / 2);
        ScenarioRun.Window calm;
        try (Emitter emitter = Emitter.start(db, half, jobs)) {
            Thread.sleep(settle);
            calm = run.measure(pollster, window, "deliveries-half");
        }
        Prometheus.Histogram latency = calm.histogram("pollster_delivery_latency_seconds");
        run.log("half load, %s events/s offered: %s delivered/s, commit -> 2xx p50 %s p99 %s; %s", Results.count(half),
                Results.count(delivered(calm) / calm.seconds()), Results.millis(latency.quantile(0.5)),
                Results.millis(latency.quantile(0.99)), ProcessCpu.describe(calm.cpu()));

        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("jobs", jobs);
        figures.put("deliveriesPerSecondAtCapacity", Results.round(capacity, 0));
        figures.put("cpuAtCapacity", saturated.cpu());
        figures.put("halfLoadEventsPerSecond", Results.round(half, 0));
        figures.put("halfLoadLatencyP50Seconds", Results.round(latency.quantile(0.5), 4));
        figures.put("halfLoadLatencyP99Seconds", Results.round(latency.quantile(0.99), 4));
        figures.put("halfLoadLatencyP99BucketSeconds", latency.bucketOf(0.99));
        figures.put("halfLoadCpu", calm.cpu());
        figures.put("received", received.sum());
        run.record(String.format("%,d jobs, one webhook each: %s deliveries/s at capacity (target >= 5,000) | half load: commit -> 2xx "
                        + "p50 %s, p99 %s (target <= 100 ms)", jobs, Results.count(capacity), Results.millis(latency.quantile(0.5)),
                Results.millis(latency.quantile(0.99))), figures);
    }

    private static double delivered(ScenarioRun.Window w) {
        Map<String, Double> after = w.after().byLabel("pollster_deliveries_total", "outcome");
        Map<String, Double> before = w.before().byLabel("pollster_deliveries_total", "outcome");
        return after.getOrDefault("delivered", 0.0) - before.getOrDefault("delivered", 0.0);
    }

    private static long pending(BenchDatabase db) throws Exception {
        return db.queryLong("SELECT count(*) FROM deliveries WHERE state = 'pending'");
    }

    /**
     * The next step starts from an empty queue. The senders keep settling deliveries meanwhile, a
     * head and its lane's next row in one transaction, in an order this one statement cannot
     * follow: PostgreSQL may abort it as a deadlock, and it is simply done again.
     */
    private static void drain(BenchDatabase db) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                db.execute("UPDATE deliveries SET state = 'delivered' WHERE state = 'pending'");
                return;
            } catch (java.sql.SQLException e) {
                if (!"40P01".equals(e.getSQLState()) || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** Writes events at a steady rate, a batch every 10 ms, on its own connection. */
    private static final class Emitter implements AutoCloseable {

        private final AtomicBoolean running = new AtomicBoolean(true);
        private final LongAdder emitted = new LongAdder();
        private final Thread thread;
        private final long started = System.nanoTime();
        private volatile Exception failure;

        private Emitter(BenchDatabase db, double perSecond, int jobs) {
            this.thread = Thread.ofPlatform().name("event-emitter").daemon().start(() -> {
                try (Connection c = db.connect()) {
                    double owed = 0;
                    long last = System.nanoTime();
                    while (running.get()) {
                        long now = System.nanoTime();
                        owed += perSecond * (now - last) / 1e9;
                        last = now;
                        int n = (int) owed;
                        if (n > 0) {
                            BenchDatabase.execute(c, EMIT, n, jobs);
                            emitted.add(n);
                            owed -= n;
                        }
                        Thread.sleep(10);
                    }
                } catch (Exception e) {
                    failure = e;
                }
            });
        }

        static Emitter start(BenchDatabase db, double perSecond, int jobs) {
            return new Emitter(db, perSecond, jobs);
        }

        double rate() {
            return emitted.sum() / ((System.nanoTime() - started) / 1e9);
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            thread.join(10_000);
            if (failure != null) {
                throw new IllegalStateException("Writing events failed: " + failure, failure);
            }
        }
    }
}
