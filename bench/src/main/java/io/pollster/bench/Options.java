package io.pollster.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The command line: {@code <scenario> [--duration 30s] [--smoke] [--profile] [--jobs N] [--clients N]
 * [--change-fraction F] [--etag] [--pages N] [--upstream-delay 10ms] [--ttl 2s] [--hour 60s]}, plus {@code --root} and
 * {@code --jar}, which the launcher passes.
 *
 * @param duration       measurement window of each measured phase (the soak, for {@code memory});
 *                       null: the scenario's default
 * @param smoke          tiny sizes and windows of seconds: proves the harness works, measures nothing
 * @param profile        record Pollster with JFR during the measured window and summarise the samples
 * @param jobs           registered jobs (scheduler, memory) or polled jobs (poll-path); null: default
 * @param clients        concurrent POSTing clients (ingest); null: default
 * @param changeFraction share of stub responses that change the body (poll-path)
 * @param etag           the stub sends ETags and answers If-None-Match with 304 (poll-path)
 * @param pages          pages of the paginated job (paging); null: default
 * @param upstreamDelay  the stub's fixed delay per page (paging); null: default
 * @param ttl            the cache's ttl and the identical jobs' interval (upstream-cost); null: default
 * @param hour           how long the simulated hour really lasts (upstream-cost); null: default
 */
record Options(String scenario, Duration duration, boolean smoke, boolean profile, Integer jobs, Integer clients,
               double changeFraction, boolean etag, Integer pages, Duration upstreamDelay, Duration ttl, Duration hour,
               Path root, Path jar) {

    /** In the order {@code all} runs them: poll-path first, whose job definition the scheduler scenarios reuse. */
    static final List<String> SCENARIOS = List.of("poll-path", "scheduler", "ingest", "memory", "deliveries", "paging",
            "upstream-cost");

    static final String USAGE = """
            usage: ./pollster bench <scenario> [options]
              scenarios: scheduler | poll-path | ingest | memory | deliveries | paging | upstream-cost
                         | all (the seven in sequence)
              --duration 30s        measurement window of each measured phase (memory: the soak)
              --smoke               tiny sizes and seconds-long windows: proves the harness works
              --profile             record Pollster with JFR in the window; print the top frames
              --jobs N              scheduler/memory: registered jobs (1000000); poll-path: polled jobs (2000)
              --clients N           ingest: concurrent clients POSTing batches of 100 (16)
              --change-fraction F   poll-path: share of stub answers with a new body (0)
              --etag                poll-path: the stub sends ETags and answers 304 when unchanged
              --pages N             paging: pages of the paginated job (1000; smoke 100)
              --upstream-delay 10ms paging: the stub's fixed delay per page (10ms)
              --ttl 2s              upstream-cost: the cache's ttl, also the identical jobs' interval (2s; smoke 1s)
              --hour 60s            upstream-cost: the real length of the simulated hour (60s; smoke 10s)
            Results: one line per scenario on stdout, one JSON object per run appended to bench/results/<scenario>.json
            """;

    Options {
        if (!scenario.equals("all") && !SCENARIOS.contains(scenario)) {
            throw new IllegalArgumentException("Unknown scenario '" + scenario + "'; use one of " + SCENARIOS + " or all");
        }
        if (changeFraction < 0 || changeFraction > 1) {
            throw new IllegalArgumentException("--change-fraction must be between 0 and 1");
        }
        if (jobs != null && jobs < 1 || clients != null && clients < 1 || pages != null && pages < 1) {
            throw new IllegalArgumentException("--jobs, --clients and --pages must be at least 1");
        }
        if (upstreamDelay != null && upstreamDelay.isNegative()) {
            throw new IllegalArgumentException("--upstream-delay must not be negative");
        }
        if (ttl != null && (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofDays(1)) > 0)) {
            throw new IllegalArgumentException("--ttl must be between 1s and 1d (what a job's cache ttl may be)");
        }
        if (hour != null && (hour.compareTo(Duration.ofSeconds(10)) < 0 || hour.compareTo(Duration.ofHours(1)) > 0)) {
            throw new IllegalArgumentException("--hour must be between 10s and 1h");
        }
    }

    static Options parse(String... args) {
        String scenario = null;
        Duration duration = null;
        boolean smoke = false;
        boolean profile = false;
        Integer jobs = null;
        Integer clients = null;
        double changeFraction = 0;
        boolean etag = false;
        Integer pages = null;
        Duration upstreamDelay = null;
        Duration ttl = null;
        Duration hour = null;
        Path root = Path.of("").toAbsolutePath();
        Path jar = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--smoke" -> smoke = true;
                case "--profile" -> profile = true;
                case "--etag" -> etag = true;
                case "--duration" -> duration = duration(value(args, ++i, arg));
                case "--jobs" -> jobs = integer(value(args, ++i, arg), arg);
                case "--clients" -> clients = integer(value(args, ++i, arg), arg);
                case "--pages" -> pages = integer(value(args, ++i, arg), arg);
                case "--upstream-delay" -> upstreamDelay = duration(value(args, ++i, arg));
                case "--ttl" -> ttl = duration(value(args, ++i, arg));
                case "--hour" -> hour = duration(value(args, ++i, arg));
                case "--change-fraction" -> changeFraction = Double.parseDouble(value(args, ++i, arg));
                case "--root" -> root = Path.of(value(args, ++i, arg)).toAbsolutePath();
                case "--jar" -> jar = Path.of(value(args, ++i, arg)).toAbsolutePath();
                default -> {
                    if (arg.startsWith("--") || scenario != null) {
                        throw new IllegalArgumentException("Unexpected argument '" + arg + "'");
                    }
                    scenario = arg;
                }
            }
        }
        if (scenario == null) {
            throw new IllegalArgumentException("Name a scenario");
        }
        return new Options(scenario, duration, smoke, profile, jobs, clients, changeFraction, etag, pages, upstreamDelay, ttl, hour,
                root, jar == null ? root.resolve("target/pollster.jar") : jar);
    }

    /** The measured window: {@code --duration}, else the scenario's default at full or smoke size. */
    Duration window(Duration full, Duration smokeSize) {
        return duration != null ? duration : smoke ? smokeSize : full;
    }

    int jobs(int full, int smokeSize) {
        return jobs != null ? jobs : smoke ? smokeSize : full;
    }

    int clients(int full, int smokeSize) {
        return clients != null ? clients : smoke ? smokeSize : full;
    }

    int pages(int full, int smokeSize) {
        return pages != null ? pages : smoke ? smokeSize : full;
    }

    Duration upstreamDelay(Duration fallback) {
        return upstreamDelay != null ? upstreamDelay : fallback;
    }

    Duration ttl(Duration full, Duration smokeSize) {
        return ttl != null ? ttl : smoke ? smokeSize : full;
    }

    Duration hour(Duration full, Duration smokeSize) {
        return hour != null ? hour : smoke ? smokeSize : full;
    }

    Path results() {
        return root.resolve("bench/results");
    }

    /** {@code 30s}, {@code 2m}, {@code 500ms}, {@code 1h}. */
    static Duration duration(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("Not a duration: '" + text + "' (use e.g. 30s, 2m, 500ms)");
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int integer(String text, String option) {
        try {
            return Integer.parseInt(text.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a whole number, not '" + text + "'");
        }
    }
}
