package io.pollster.ingest;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class Rfc3339Test {

    @ParameterizedTest
    @ValueSource(strings = {
            "2026-01-01T10:00:00Z",
            "2026-01-01t10:00:00z",
            "1985-04-12T23:20:50.52Z",
            "1996-12-19T16:39:57-08:00",
            "1990-12-31T23:59:60Z",
            "1990-12-31T15:59:60-08:00",
            "1937-01-01T12:00:27.87+00:20",
            "2024-02-29T00:00:00.000000001+23:59",
            "0000-01-01T00:00:00Z"})
    void acceptsDateTimesOfTheRfc(String text) {
        assertThat(Rfc3339.isDateTime(text)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "yesterday",
            "2026-01-01T10:00:00",
            "2026-01-01T10:00Z",
            "2026-01-01 10:00:00Z",
            "2026-1-01T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-00-01T10:00:00Z",
            "2026-02-29T10:00:00Z",
            "2100-02-29T10:00:00Z",
            "2026-04-31T10:00:00Z",
            "2026-01-00T10:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T10:60:00Z",
            "2026-01-01T10:00:61Z",
            "2026-01-01T10:00:00.Z",
            "2026-01-01T10:00:00.5",
            "2026-01-01T10:00:00+0100",
            "2026-01-01T10:00:00+01",
            "2026-01-01T10:00:00+24:00",
            "2026-01-01T10:00:00+01:60",
            "2026-01-01T10:00:00Zx",
            "2026-01-01T10:00:00+01:00x",
            "+2026-01-01T10:00:00Z",
            "2026-01-01T10:00:00.١Z",
            "２026-01-01T10:00:00Z"})
    void refusesAnythingElse(String text) {
        assertThat(Rfc3339.isDateTime(text)).isFalse();
    }
}
