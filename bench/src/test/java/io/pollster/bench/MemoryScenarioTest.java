package io.pollster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class MemoryScenarioTest {

    @Test
    void heapTrendIsTheLeastSquaresSlopePerMinute() {
        assertEquals(60.0, MemoryScenario.slopePerMinute(List.of(0.0, 10.0, 20.0), List.of(100L, 110L, 120L)), 1e-9);
        assertEquals(0.0, MemoryScenario.slopePerMinute(List.of(0.0, 10.0, 20.0), List.of(100L, 100L, 100L)), 1e-9);
    }
}
