package io.pollster.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Prints a scenario's one result line and appends its figures, as one JSON object per line, to
 * {@code bench/results/<scenario>.json} — the history of runs, newest last.
 */
final class Results {

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Results() {
    }

    static void record(Options options, String scenario, String line, Map<String, Object> figures, Machine.Snapshot before)
            throws IOException {
        System.out.println("RESULT " + scenario + ": " + line);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("scenario", scenario);
        entry.put("finishedAt", Instant.now().toString());
        entry.put("smoke", options.smoke());
        entry.put("line", line);
        entry.put("figures", figures);
        entry.put("machine", Machine.describe(options.root(), before));
        Path file = options.results().resolve(scenario + ".json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, JSON.writeValueAsString(entry) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** {@code 12,345} */
    static String count(double n) {
        return String.format(Locale.ROOT, "%,.0f", n);
    }

    /** Milliseconds from seconds, with a sensible number of digits: {@code 0.84 ms}, {@code 37 ms}, {@code 1,530 ms}. */
    static String millis(double seconds) {
        if (Double.isNaN(seconds)) {
            return "n/a";
        }
        double ms = seconds * 1000;
        return ms < 10 ? String.format(Locale.ROOT, "%.2f ms", ms) : String.format(Locale.ROOT, "%,.0f ms", ms);
    }

    static String mib(double bytes) {
        return String.format(Locale.ROOT, "%,.0f MiB", bytes / (1024 * 1024));
    }

    static String ratio(double r) {
        return Double.isNaN(r) || Double.isInfinite(r) ? "n/a" : String.format(Locale.ROOT, "%.2f", r);
    }

    static double round(double value, int digits) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return value;
        }
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }
}
