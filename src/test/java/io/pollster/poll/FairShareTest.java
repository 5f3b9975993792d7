package io.pollster.poll;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FairShareTest {

    private final AtomicLong now = new AtomicLong();
    private final FairShare share = new FairShare(2, 6, now::get);
    private final UUID mallory = UUID.randomUUID();
    private final UUID bob = UUID.randomUUID();

    @Test
    void pollsExpectedSlowStopAtTheUsersShareWhileTheirFastOnesGoOn() {
        assertThat(share.tryEnter(mallory, true)).isNotNull();
        assertThat(share.tryEnter(mallory, true)).isNotNull();

        assertThat(share.tryEnter(mallory, true)).isNull();
        assertThat(share.tryEnter(mallory, false)).as("not yet known to be slow").isNotNull();
        assertThat(share.tryEnter(bob, true)).isNotNull();
    }

    @Test
    void pollsThatLookFastButRunLongStopTheUsersOtherPollsToo() {
        share.tryEnter(mallory, false);
        share.tryEnter(mallory, false);
        assertThat(share.tryEnter(mallory, false)).isNotNull();

        now.addAndGet(FairShare.SLOW.toNanos());

        assertThat(share.tryEnter(mallory, false)).as("three of them ran over a second").isNull();
        assertThat(share.tryEnter(bob, false)).isNotNull();
    }

    @Test
    void noUserHoldsMoreThanTheirMostSlotsAndAnEndedPollGivesItsSlotBack() {
        List<FairShare.Ticket> tickets = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            tickets.add(share.tryEnter(mallory, false));
        }
        assertThat(tickets).doesNotContainNull();

        assertThat(share.tryEnter(mallory, false)).isNull();
        assertThat(share.tryEnter(bob, false)).isNotNull();
        tickets.getFirst().close();
        assertThat(share.running(mallory)).isEqualTo(5);
        assertThat(share.tryEnter(mallory, false)).isNotNull();
    }
}
