package io.pollster.fetch;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.pollster.system.memory.ByteBudget;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ResponseBodiesTest {

    private static final long MAX_BODY = 10L * 1024 * 1024;

    @Test
    void anUpstreamThatDeclaresALargeBodyAndGoesQuietHoldsOnlyWhatItSent() throws Exception {
        ByteBudget budget = new ByteBudget(64L * 1024 * 1024);
        ByteBudget.Reservation reservation = budget.reserve(0, Duration.ZERO);
        var upstream = new PipedOutputStream();
        var body = new PipedInputStream(upstream, 4096);
        upstream.write(new byte[100]);
        upstream.flush();

        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try {
                return new ResponseBodies(MAX_BODY).read(body, null, 9L * 1024 * 1024, reservation);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await("the first bytes read").atMost(Duration.ofSeconds(5)).until(() -> body.available() == 0);

        assertThat(read).isNotDone();
        assertThat(budget.inUse()).as("one step of growth, not twice the 9 MiB it declared").isLessThanOrEqualTo(ResponseBodies.GROW_STEP);
        upstream.close();
        assertThat(read.get()).hasSize(100);
    }

    @Test
    void theReservationGrowsWithTheBytesThatArrive() throws Exception {
        ByteBudget budget = new ByteBudget(64L * 1024 * 1024);
        ByteBudget.Reservation reservation = budget.reserve(0, Duration.ZERO);
        byte[] sent = new byte[3 * 1024 * 1024];

        byte[] read = new ResponseBodies(MAX_BODY).read(new java.io.ByteArrayInputStream(sent), null, -1, reservation);

        assertThat(read).hasSize(sent.length);
        assertThat(reservation.bytes()).as("the buffer and its copy").isBetween(2L * sent.length, 2L * sent.length + 512 * 1024);
    }
}
