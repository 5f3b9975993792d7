package io.pollster.ui;

import java.time.Duration;
import java.time.format.DateTimeParseException;

import org.springframework.stereotype.Component;

/** Formatting for templates ({@code ${@uiFormat.duration(job.interval)}}). */
@Component("uiFormat")
class UiFormat {

    /** An ISO-8601 duration as people write it: PT1H30M → 1h 30m; anything else as it is. */
    public String duration(String iso) {
        if (iso == null) {
            return null;
        }
        Duration d;
        try {
            d = Duration.parse(iso);
        } catch (DateTimeParseException e) {
            return iso;
        }
        if (d.isZero() || d.isNegative()) {
            return iso;
        }
        StringBuilder text = new StringBuilder();
        append(text, d.toDaysPart(), "d");
        append(text, d.toHoursPart(), "h");
        append(text, d.toMinutesPart(), "m");
        append(text, d.toSecondsPart(), "s");
        append(text, d.toMillisPart(), "ms");
        return text.toString();
    }

    private static void append(StringBuilder text, long amount, String unit) {
        if (amount > 0) {
            text.append(text.isEmpty() ? "" : " ").append(amount).append(unit);
        }
    }
}
