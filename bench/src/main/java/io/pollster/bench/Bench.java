package io.pollster.bench;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ./pollster bench <scenario>}: measures Pollster against SPEC §5 on this machine, each
 * figure as a ratio to a yardstick measured in the same run. Every scenario is bounded by a
 * deadline, stops by itself, talks to loopback only, and leaves no process or database behind.
 * Exit code 0 when every scenario ran (benchmarks report; they never judge the figures).
 */
public final class Bench {

    private static final AtomicReference<ScenarioRun> ACTIVE = new AtomicReference<>();

    private Bench() {
    }

    public static void main(String[] args) {
        // why: db-scheduler and HikariCP log through SLF4J; their INFO lines would drown the progress
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(Bench::closeActive, "bench-cleanup"));
        List<String> scenarios = options.scenario().equals("all") ? Options.SCENARIOS : List.of(options.scenario());
        System.out.printf("bench: %s%s on %d cores, load average %s, Pollster %s%n", String.join(", ", scenarios),
                options.smoke() ? " (smoke)" : "", Runtime.getRuntime().availableProcessors(), Machine.loadAverage(), options.jar());
        long started = System.nanoTime();
        int failed = 0;
        for (String scenario : scenarios) {
            try {
                runBounded(options, scenario);
            } catch (Exception e) {
                failed++;
                System.out.println("FAILED " + scenario + ": " + e.getMessage());
                e.printStackTrace(System.out);
            }
        }
        System.out.printf("bench: %d of %d scenarios ran, %d failed, in %.0f s; results in %s%n", scenarios.size() - failed,
                scenarios.size(), failed, (System.nanoTime() - started) / 1e9, options.root().relativize(options.results()));
        System.exit(failed == 0 ? 0 : 1);
    }

    /** Runs the scenario on its own thread, so that a hung one is cut off at its deadline and cleaned up. */
    private static void runBounded(Options options, String scenario) throws Exception {
        Duration deadline = deadline(options);
        try (ScenarioRun run = ScenarioRun.open(options, scenario)) {
            ACTIVE.set(run);
            AtomicReference<Exception> failure = new AtomicReference<>();
            Thread worker = Thread.ofPlatform().name("scenario-" + scenario).start(() -> {
                try {
                    switch (scenario) {
                        case "scheduler" -> SchedulerScenario.run(run);
                        case "poll-path" -> PollPathScenario.run(run);
                        case "ingest" -> IngestScenario.run(run);
                        case "memory" -> MemoryScenario.run(run);
                        case "deliveries" -> DeliveriesScenario.run(run);
                        case "paging" -> PagingScenario.run(run);
                        case "upstream-cost" -> UpstreamCostScenario.run(run);
                        default -> throw new IllegalArgumentException(scenario);
                    }
                } catch (Exception e) {
                    failure.set(e);
                } catch (Throwable t) {
                    failure.set(new RuntimeException(t));
                }
            });
            worker.join(deadline);
            if (worker.isAlive()) {
                worker.interrupt();
                run.close(); // kills Pollster and drops the database, which unblocks the worker
                worker.join(Duration.ofSeconds(30));
                throw new IllegalStateException("did not finish within its deadline of " + deadline.toMinutes() + " min");
            }
            if (failure.get() != null) {
                throw failure.get();
            }
        } finally {
            ACTIVE.set(null);
        }
    }

    /** Generous: a scenario's own phases add up to about three minutes by default, seconds in smoke size. */
    private static Duration deadline(Options options) {
        Duration base = options.smoke() ? Duration.ofMinutes(3) : Duration.ofMinutes(12);
        if (options.hour() != null) {
            base = base.plus(options.hour()); // upstream-cost waits the simulated hour out
        }
        return options.duration() == null ? base : base.plus(options.duration().multipliedBy(4));
    }

    private static void closeActive() {
        ScenarioRun run = ACTIVE.getAndSet(null);
        if (run != null) {
            try {
                run.close();
            } catch (Exception e) {
                System.err.println("bench: cleanup failed: " + e);
            }
        }
    }
}
