package io.pollster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrometheusTest {

    private static final String SCRAPE = """
            # HELP pollster_fires_total Due jobs fired
            # TYPE pollster_fires_total counter
            pollster_fires_total 1500.0
            pollster_polls_total{outcome="unchanged"} 90.0
            pollster_polls_total{outcome="changed"} 10.0
            pollster_schedule_lag_seconds_bucket{le="0.01"} 10
            pollster_schedule_lag_seconds_bucket{le="0.1"} 90
            pollster_schedule_lag_seconds_bucket{le="1.0"} 100
            pollster_schedule_lag_seconds_bucket{le="+Inf"} 100
            pollster_schedule_lag_seconds_count 100
            """;

    @Test
    void sumsCountersOverTheirLabels() {
        Prometheus p = Prometheus.parse(SCRAPE);
        assertEquals(1500.0, p.sum("pollster_fires_total"));
        assertEquals(100.0, p.sum("pollster_polls_total"));
        assertEquals(90.0, p.sum("pollster_polls_total", "outcome=\"unchanged\""));
        assertEquals(10.0, p.byLabel("pollster_polls_total", "outcome").get("changed"));
        assertEquals(0.0, p.sum("pollster_missing_total"));
    }

    @Test
    void interpolatesQuantilesInsideTheirBucketLikeHistogramQuantile() {
        Prometheus.Histogram lag = Prometheus.parse(SCRAPE).histogram("pollster_schedule_lag_seconds");
        assertEquals(100, lag.count());
        assertEquals(0.005, lag.quantile(0.05), 1e-9);   // half way into the first bucket [0, 0.01]
        assertEquals(0.055, lag.quantile(0.5), 1e-9);    // 40 of the 80 in (0.01, 0.1]
        assertEquals(0.91, lag.quantile(0.99), 1e-9);    // 9 of the 10 in (0.1, 1.0]
        assertEquals(0.1, lag.bucketOf(0.99)[0]);
        assertEquals(1.0, lag.bucketOf(0.99)[1]);
    }

    @Test
    void subtractsAnEarlierScrapeToGetAWindow() {
        Prometheus.Histogram earlier = Prometheus.parse(SCRAPE).histogram("pollster_schedule_lag_seconds");
        Prometheus.Histogram later = Prometheus.parse(SCRAPE.replace("} 100\n", "} 200\n")).histogram("pollster_schedule_lag_seconds");
        Prometheus.Histogram window = later.minus(earlier);
        assertEquals(100, window.count());
        assertTrue(window.quantile(0.5) > 0.1, "the window's 100 new observations all lie in (0.1, 1.0]");
    }

    @Test
    void hasNoQuantileWithoutObservations() {
        Prometheus.Histogram none = Prometheus.parse("x_bucket{le=\"1.0\"} 0\nx_bucket{le=\"+Inf\"} 0\n").histogram("x");
        assertTrue(Double.isNaN(none.quantile(0.99)));
    }
}
