package io.pollster.system.memory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class ByteBudgetTest {

    private static final Duration NO_WAIT = Duration.ZERO;
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void aReservationHoldsItsBytesUntilClosedAndClosingTwiceGivesThemBackOnce() throws Exception {
        ByteBudget budget = new ByteBudget(100);

        ByteBudget.Reservation first = budget.reserve(60, NO_WAIT);
        ByteBudget.Reservation second = budget.reserve(40, NO_WAIT);

        assertThat(first.bytes()).isEqualTo(60);
        assertThat(budget.inUse()).isEqualTo(100);
        assertThat(budget.reserve(1, NO_WAIT)).as("the budget is spent").isNull();
        first.close();
        first.close();
        assertThat(budget.inUse()).isEqualTo(40);
        second.close();
        assertThat(budget.inUse()).isZero();
        assertThat(budget.capacity()).isEqualTo(100);
    }

    @Test
    void aTenantAloneBorrowsPastItsShareButLeavesAShareFreeForTheOthers() throws Exception {
        ByteBudget budget = new ByteBudget(100, 30);
        ByteBudget.Reservation alice = budget.reserve("alice", 30, NO_WAIT);

        assertThat(alice.tryGrow(40)).as("borrowed: 30 stay free").isTrue();
        long started = System.nanoTime();
        assertThat(budget.reserve("alice", 1, Duration.ofMinutes(5))).as("past what alice may hold: refused, not queued").isNull();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(alice.tryGrow(1)).isFalse();
        assertThat(alice.grow(1, Duration.ofMinutes(5))).isFalse();

        ByteBudget.Reservation bob = budget.reserve("bob", 30, NO_WAIT);
        assertThat(bob).as("the share left free is bob's").isNotNull();
        assertThat(budget.heldBy("alice")).isEqualTo(70);
        alice.close();
        assertThat(budget.heldBy("alice")).isZero();
        assertThat(budget.reserve("alice", 40, NO_WAIT)).isNotNull();
    }

    @Test
    void withinItsShareATenantGetsBytesEvenWhenOthersHaveBorrowed() throws Exception {
        ByteBudget budget = new ByteBudget(100, 30);
        budget.reserve("mallory", 70, NO_WAIT);

        assertThat(budget.reserve("bob", 31, NO_WAIT)).as("past bob's share, and nothing left to borrow").isNull();
        assertThat(budget.reserve("bob", 30, NO_WAIT)).isNotNull();
        assertThat(budget.reserve(null, 1, NO_WAIT)).as("the budget itself is spent").isNull();
    }

    @Test
    void moreThanTheWholeCapacityIsRefusedAtOnceWithoutWaiting() throws Exception {
        ByteBudget budget = new ByteBudget(100);

        long started = System.nanoTime();
        ByteBudget.Reservation refused = budget.reserve(101, Duration.ofMinutes(5));

        assertThat(refused).isNull();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(budget.inUse()).isZero();
        assertThat(budget.reserve(100, NO_WAIT)).as("exactly the capacity fits").isNotNull();
    }

    @Test
    void aWaitingReservationGetsTheBytesWhenTheyAreGivenBack() throws Exception {
        ByteBudget budget = new ByteBudget(100);
        ByteBudget.Reservation holder = budget.reserve(80, NO_WAIT);

        CompletableFuture<ByteBudget.Reservation> waiting = reserveAsync(budget, 50, LONG);
        await("the second reservation to wait").atMost(Duration.ofSeconds(5)).until(() -> budget.waiting() == 1);
        assertThat(waiting).isNotDone();
        holder.close();

        assertThat(waiting.get(5, TimeUnit.SECONDS).bytes()).isEqualTo(50);
        assertThat(budget.inUse()).isEqualTo(50);
        assertThat(budget.waiting()).isZero();
    }

    @Test
    void aReservationThatWaitsTooLongGetsNullAndTakesNothing() throws Exception {
        ByteBudget budget = new ByteBudget(100);
        budget.reserve(80, NO_WAIT);

        assertThat(budget.reserve(50, Duration.ofMillis(50))).isNull();
        assertThat(budget.inUse()).isEqualTo(80);
        assertThat(budget.waiting()).isZero();
    }

    @Test
    void aLargeWaiterIsNotOvertakenBySmallReservationsThatWouldFit() throws Exception {
        ByteBudget budget = new ByteBudget(100);
        ByteBudget.Reservation holder = budget.reserve(60, NO_WAIT);
        CompletableFuture<ByteBudget.Reservation> large = reserveAsync(budget, 90, LONG);
        await().atMost(Duration.ofSeconds(5)).until(() -> budget.waiting() == 1);

        assertThat(budget.reserve(10, NO_WAIT)).as("10 would fit, but the large one came first").isNull();
        CompletableFuture<ByteBudget.Reservation> small = reserveAsync(budget, 10, LONG);
        await().atMost(Duration.ofSeconds(5)).until(() -> budget.waiting() == 2);
        holder.close();

        ByteBudget.Reservation served = large.get(5, TimeUnit.SECONDS);
        assertThat(served.bytes()).isEqualTo(90);
        assertThat(small.get(5, TimeUnit.SECONDS).bytes()).as("the small one fits beside it, and is woken").isEqualTo(10);
        assertThat(budget.inUse()).isEqualTo(100);
    }

    @Test
    void aWaiterThatGivesUpLetsTheOnesBehindItThrough() throws Exception {
        ByteBudget budget = new ByteBudget(100);
        budget.reserve(60, NO_WAIT);
        CompletableFuture<ByteBudget.Reservation> impatient = reserveAsync(budget, 90, Duration.ofMillis(300));
        await().atMost(Duration.ofSeconds(5)).until(() -> budget.waiting() == 1);
        CompletableFuture<ByteBudget.Reservation> patient = reserveAsync(budget, 30, LONG);

        assertThat(impatient.get(5, TimeUnit.SECONDS)).isNull();
        assertThat(patient.get(5, TimeUnit.SECONDS).bytes()).isEqualTo(30);
        assertThat(budget.inUse()).isEqualTo(90);
    }

    @Test
    void anInterruptedWaiterThrowsAndLeavesTheQueue() throws Exception {
        ByteBudget budget = new ByteBudget(100);
        ByteBudget.Reservation holder = budget.reserve(100, NO_WAIT);
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                budget.reserve(50, LONG);
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> budget.waiting() == 1);

        waiter.interrupt();

        assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        assertThat(budget.waiting()).isZero();
        holder.close();
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void aReservationGrowsOnlyWhileTheBudgetCoversIt() throws Exception {
        ByteBudget budget = new ByteBudget(100);
        ByteBudget.Reservation growing = budget.reserve(10, NO_WAIT);
        budget.reserve(30, NO_WAIT);

        assertThat(growing.tryGrow(50)).isTrue();
        assertThat(growing.bytes()).isEqualTo(60);
        assertThat(growing.tryGrow(11)).isFalse();
        assertThat(growing.bytes()).as("unchanged when refused").isEqualTo(60);
        assertThat(growing.tryGrow(Long.MAX_VALUE)).isFalse();
        assertThat(budget.inUse()).isEqualTo(90);
        growing.close();
        assertThat(budget.inUse()).as("the grown bytes go back too").isEqualTo(30);
        assertThatThrownBy(() -> growing.tryGrow(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aReservationWaitingToGrowGetsTheBytesAnotherGivesBackOrGivesUpUnchanged() throws Exception {
        ByteBudget budget = new ByteBudget(100);
        ByteBudget.Reservation growing = budget.reserve(40, NO_WAIT);
        ByteBudget.Reservation other = budget.reserve(60, NO_WAIT);

        assertThat(growing.grow(30, Duration.ofMillis(50))).as("nothing came free").isFalse();
        assertThat(growing.bytes()).isEqualTo(40);
        try (var releaser = Executors.newVirtualThreadPerTaskExecutor()) {
            releaser.submit(() -> {
                Thread.sleep(100);
                other.close();
                return null;
            });
            assertThat(growing.grow(30, LONG)).isTrue();
        }
        assertThat(growing.bytes()).isEqualTo(70);
        assertThat(budget.inUse()).isEqualTo(70);
        assertThat(growing.grow(31, LONG)).as("more than could ever come free is refused without waiting").isFalse();
        growing.close();
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void nonsenseIsRefused() throws Exception {
        assertThatThrownBy(() -> new ByteBudget(0)).isInstanceOf(IllegalArgumentException.class);
        ByteBudget budget = new ByteBudget(10);
        assertThatThrownBy(() -> budget.reserve(-1, NO_WAIT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> budget.reserve(1, NO_WAIT).tryGrow(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(budget.reserve(0, NO_WAIT)).as("nothing always fits").isNotNull();
    }

    @Test
    void manyThreadsNeverHoldMoreThanTheCapacityAndGiveEverythingBack() throws Exception {
        long capacity = 1_000;
        ByteBudget budget = new ByteBudget(capacity);
        AtomicLong held = new AtomicLong();
        AtomicLong peak = new AtomicLong();
        AtomicInteger served = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        int tasks = 2_000;
        CountDownLatch done = new CountDownLatch(tasks);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < tasks; i++) {
                threads.submit(() -> {
                    try {
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        ByteBudget.Reservation r = budget.reserve(random.nextLong(1, 400), Duration.ofMillis(random.nextInt(0, 50)));
                        if (r == null) {
                            refused.incrementAndGet();
                            return;
                        }
                        try (r) {
                            if (random.nextBoolean()) {
                                r.tryGrow(random.nextLong(1, 200));
                            }
                            long now = held.addAndGet(r.bytes());
                            peak.accumulateAndGet(now, Math::max);
                            Thread.yield();
                            held.addAndGet(-r.bytes());
                            served.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        done.countDown();
                    }
                });
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(failures).isEmpty();
        assertThat(peak.get()).isLessThanOrEqualTo(capacity).isPositive();
        assertThat(served.get() + refused.get()).isEqualTo(tasks);
        assertThat(served.get()).isPositive();
        assertThat(budget.inUse()).isZero();
        assertThat(budget.waiting()).isZero();
    }

    private static CompletableFuture<ByteBudget.Reservation> reserveAsync(ByteBudget budget, long bytes, Duration wait) {
        CompletableFuture<ByteBudget.Reservation> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                result.complete(budget.reserve(bytes, wait));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    private static ByteBudget.Reservation reserve(ByteBudget budget, Object tenant, long bytes) {
        try {
            return budget.reserve(tenant, bytes, LONG);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
