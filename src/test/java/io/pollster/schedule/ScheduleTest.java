package io.pollster.schedule;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScheduleTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void anOnTimeIntervalFireKeepsTheGrid() {
        Schedule every = new Schedule.Every(Duration.ofSeconds(30));
        assertThat(every.nextAfter(T0, T0.plusMillis(40))).isEqualTo(T0.plusSeconds(30));
    }

    @Test
    void missedIntervalFiresCollapseIntoOneAndTheGridContinues() {
        Schedule every = new Schedule.Every(Duration.ofSeconds(30));
        Instant afterDowntime = T0.plus(Duration.ofHours(2)).plusSeconds(7);

        assertThat(every.nextAfter(T0, afterDowntime)).isEqualTo(T0.plus(Duration.ofHours(2)).plusSeconds(30));
    }

    @Test
    void cronFiresOnItsMinutesInUtcAndSkipsWhatWasMissed() {
        Schedule cron = new Schedule.Cron("*/15 * * * *");

        assertThat(cron.firstFrom(T0.plusSeconds(1))).isEqualTo(T0.plus(Duration.ofMinutes(15)));
        assertThat(cron.nextAfter(T0, T0.plus(Duration.ofHours(3)).plusSeconds(5)))
                .isEqualTo(T0.plus(Duration.ofHours(3)).plus(Duration.ofMinutes(15)));
    }

    @Test
    void onlyFiveFieldCronIsAccepted() {
        assertThatThrownBy(() -> new Schedule.Cron("0 * * * * *")).hasMessageContaining("5-field");
        assertThatThrownBy(() -> new Schedule.Cron("99 * * * *")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Schedule.Cron("0 9 * * 1-5").firstFrom(T0)).isEqualTo(Instant.parse("2026-01-01T09:00:00Z"));
    }

    @Test
    void withBothDayFieldsRestrictedEitherDayFiresAsInUnixCron() {
        Schedule cron = new Schedule.Cron("0 0 13 * 5"); // the 13th, and every Friday
        Instant t = T0; // Thursday 1 January 2026
        java.util.List<Instant> fires = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            t = cron.firstFrom(t);
            fires.add(t);
        }
        assertThat(fires).containsExactly(Instant.parse("2026-01-02T00:00:00Z"), Instant.parse("2026-01-09T00:00:00Z"),
                Instant.parse("2026-01-13T00:00:00Z"), Instant.parse("2026-01-16T00:00:00Z"));
    }

    @Test
    void aCronThatNeverFiresSaysSo() {
        assertThatThrownBy(() -> new Schedule.Cron("0 0 30 2 *").firstFrom(T0)).hasMessageContaining("never fires");
    }

    @Test
    void pollTasksSurviveEncoding() {
        PollTask task = PollTask.fire(java.util.UUID.randomUUID(), T0, false, T0.plusNanos(123_000));
        assertThat(PollTask.decode(task.encode())).isEqualTo(task);
        PollTask manual = PollTask.fire(java.util.UUID.randomUUID(), null, true, null);
        assertThat(PollTask.decode(manual.encode())).isEqualTo(manual);
        PollTask retried = task.retried(T0.plusSeconds(1)).deferred();
        assertThat(PollTask.decode(retried.encode())).isEqualTo(retried);
        assertThat(retried.attempt()).isEqualTo(2);
        assertThat(retried.deferrals()).isEqualTo(1);
        assertThatThrownBy(() -> PollTask.decode("garbage".getBytes())).isInstanceOf(IllegalArgumentException.class);
    }
}
