package io.pollster.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of {@code /actuator/prometheus}: every sample by series ({@code name{labels}}). */
record Prometheus(Map<String, Double> samples) {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*})?\\s+(\\S+)(\\s+-?\\d+)?$");
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    static Prometheus parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line.strip());
            if (m.matches()) {
                samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), parseValue(m.group(3)));
            }
        }
        return new Prometheus(samples);
    }

    /** The sum over every series of the metric, whatever their labels (0 when absent). */
    double sum(String name) {
        double total = 0;
        for (var e : samples.entrySet()) {
            if (nameOf(e.getKey()).equals(name)) {
                total += e.getValue();
            }
        }
        return total;
    }

    /** The sum over the series of the metric whose labels contain {@code label} (e.g. {@code outcome="unchanged"}). */
    double sum(String name, String label) {
        double total = 0;
        for (var e : samples.entrySet()) {
            if (nameOf(e.getKey()).equals(name) && e.getKey().contains(label)) {
                total += e.getValue();
            }
        }
        return total;
    }

    /** Every value of a label across the metric's series, with each series' value. */
    Map<String, Double> byLabel(String name, String label) {
        Map<String, Double> values = new LinkedHashMap<>();
        Pattern p = Pattern.compile(label + "=\"([^\"]*)\"");
        for (var e : samples.entrySet()) {
            if (nameOf(e.getKey()).equals(name)) {
                Matcher m = p.matcher(e.getKey());
                values.merge(m.find() ? m.group(1) : "", e.getValue(), Double::sum);
            }
        }
        return values;
    }

    /** The cumulative buckets of histogram {@code name} ({@code name_bucket{le=…}}). */
    Histogram histogram(String name) {
        List<double[]> buckets = new ArrayList<>();
        for (var e : samples.entrySet()) {
            if (nameOf(e.getKey()).equals(name + "_bucket")) {
                Matcher m = LE.matcher(e.getKey());
                if (m.find()) {
                    buckets.add(new double[] {parseValue(m.group(1)), e.getValue()});
                }
            }
        }
        buckets.sort(Comparator.comparingDouble(b -> b[0]));
        double[] bounds = new double[buckets.size()];
        double[] counts = new double[buckets.size()];
        for (int i = 0; i < buckets.size(); i++) {
            bounds[i] = buckets.get(i)[0];
            counts[i] = buckets.get(i)[1];
        }
        return new Histogram(bounds, counts);
    }

    private static String nameOf(String series) {
        int brace = series.indexOf('{');
        return brace < 0 ? series : series.substring(0, brace);
    }

    private static double parseValue(String text) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }

    /** Cumulative histogram buckets: {@code counts[i]} observations were at most {@code bounds[i]}. */
    record Histogram(double[] bounds, double[] counts) {

        double count() {
            return counts.length == 0 ? 0 : counts[counts.length - 1];
        }

        /** The observations since {@code earlier}, a scrape of the same histogram. */
        Histogram minus(Histogram earlier) {
            if (earlier.counts.length != counts.length) {
                throw new IllegalArgumentException("The histogram's buckets changed between scrapes");
            }
            double[] delta = new double[counts.length];
            for (int i = 0; i < counts.length; i++) {
                delta[i] = counts[i] - earlier.counts[i];
            }
            return new Histogram(bounds, delta);
        }

        /** The bounds of the bucket holding the q-quantile: how precise {@link #quantile} can be. */
        double[] bucketOf(double q) {
            double rank = q * count();
            for (int i = 0; i < counts.length; i++) {
                if (count() > 0 && counts[i] >= rank) {
                    return new double[] {i == 0 ? 0 : bounds[i - 1], bounds[i]};
                }
            }
            return new double[] {Double.NaN, Double.NaN};
        }

        /**
         * The q-quantile, interpolated linearly inside its bucket as Prometheus'
         * {@code histogram_quantile} does; NaN without observations. A quantile in the {@code +Inf}
         * bucket is reported as the largest finite bound.
         */
        double quantile(double q) {
            double total = count();
            if (total <= 0) {
                return Double.NaN;
            }
            double rank = q * total;
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] >= rank) {
                    if (Double.isInfinite(bounds[i])) {
                        return i > 0 ? bounds[i - 1] : Double.NaN;
                    }
                    double lower = i == 0 ? 0 : bounds[i - 1];
                    double below = i == 0 ? 0 : counts[i - 1];
                    double inBucket = counts[i] - below;
                    return inBucket <= 0 ? bounds[i] : lower + (bounds[i] - lower) * (rank - below) / inBucket;
                }
            }
            return bounds[bounds.length - 1];
        }
    }
}
