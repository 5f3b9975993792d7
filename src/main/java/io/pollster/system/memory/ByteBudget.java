package io.pollster.system.memory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A process-wide budget of bytes in flight: request bodies being read, upstream bodies being
 * fetched, queue entries being processed. Whatever holds a large buffer reserves its size first,
 * so a flood of large inputs is refused or slowed down instead of ending in an
 * {@link OutOfMemoryError}.
 *
 * <p>Waiters are served first come, first served: a large reservation is not starved by a stream
 * of small ones that would each fit. {@link Reservation#tryGrow} never waits and does not queue,
 * since the work that grows is already under way and finishing it is what frees bytes.
 *
 * <p>One tenant (a user) may always hold up to {@link #perTenant()} of it; beyond that share it
 * may borrow what is free only while a share's worth stays free for everyone else. So a user
 * alone on the process uses most of it, and one user's large or slow bodies still cannot take
 * the whole budget from the others. A reservation past what its tenant may hold is refused at
 * once, never queued: a waiter at the head of the queue would hold up everyone behind it.
 */
public final class ByteBudget {

    private final long capacity;
    private final long perTenant;
    /** Bytes each tenant holds now; a tenant holding none has no entry. */
    private final Map<Object, Long> tenants = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    /** Reservations waiting for bytes, in arrival order; only the first may take bytes. */
    private final LinkedHashSet<Waiter> waiters = new LinkedHashSet<>();
    /** Signalled on every release, for reservations waiting to grow. */
    private final Condition released = lock.newCondition();
    /** Written under the lock, read without it (gauges, tests). */
    private volatile long inUse;

    public ByteBudget(long capacityBytes) {
        this(capacityBytes, capacityBytes);
    }

    public ByteBudget(long capacityBytes, long perTenantBytes) {
        if (capacityBytes < 1 || perTenantBytes < 1) {
            throw new IllegalArgumentException("The byte budget needs a capacity and a share per tenant of at least 1 byte, not "
                    + capacityBytes + " and " + perTenantBytes);
        }
        this.capacity = capacityBytes;
        this.perTenant = Math.min(perTenantBytes, capacityBytes);
    }

    public long capacity() {
        return capacity;
    }

    /** What one tenant may always hold (and may exceed only while as much stays free for the others). */
    public long perTenant() {
        return perTenant;
    }

    /** Bytes the tenant holds now. */
    public long heldBy(Object tenant) {
        lock.lock();
        try {
            return tenants.getOrDefault(tenant, 0L);
        } finally {
            lock.unlock();
        }
    }

    public long inUse() {
        return inUse;
    }

    /** Reservations waiting for bytes now. */
    int waiting() {
        lock.lock();
        try {
            return waiters.size();
        } finally {
            lock.unlock();
        }
    }

    /** Reserves bytes for no tenant in particular (the process's own work). */
    public Reservation reserve(long bytes, Duration maxWait) throws InterruptedException {
        return reserve(null, bytes, maxWait);
    }

    /**
     * Reserves bytes for {@code tenant}, waiting up to maxWait for them; null when they did not
     * come free in time, or at once when they would take the tenant past its share.
     *
     * @param tenant who the bytes are for (compared with equals), or null for the process itself
     */
    public Reservation reserve(Object tenant, long bytes, Duration maxWait) throws InterruptedException {
        if (bytes < 0) {
            throw new IllegalArgumentException("Cannot reserve a negative number of bytes: " + bytes);
        }
        if (bytes > capacity) {
            return null; // could never fit: waiting would only hold up everyone queued behind it
        }
        long nanos = maxWait.isNegative() ? 0 : toNanos(maxWait);
        lock.lockInterruptibly();
        try {
            if (!withinShare(tenant, bytes)) {
                return null;
            }
            if (waiters.isEmpty() && fits(bytes)) {
                return take(tenant, bytes);
            }
            if (nanos <= 0) {
                return null;
            }
            Waiter me = new Waiter(lock.newCondition());
            waiters.add(me);
            try {
                while (!(first() == me && fits(bytes))) {
                    if (nanos <= 0 || !withinShare(tenant, bytes)) {
                        return null;
                    }
                    nanos = me.turn.awaitNanos(nanos);
                }
                if (!withinShare(tenant, bytes)) {
                    return null;
                }
                return take(tenant, bytes);
            } finally {
                // whether served, timed out or interrupted: the next in line may now go (or fit)
                waiters.remove(me);
                wakeFirst();
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean fits(long bytes) {
        return bytes <= capacity - inUse;
    }

    /** Within the tenant's share, or borrowed while a share's worth of the budget stays free for the others. */
    private boolean withinShare(Object tenant, long bytes) {
        return tenant == null || bytes <= perTenant - tenants.getOrDefault(tenant, 0L) || bytes <= capacity - perTenant - inUse;
    }

    private Reservation take(Object tenant, long bytes) {
        inUse += bytes;
        held(tenant, bytes);
        return new Reservation(tenant, bytes);
    }

    private void held(Object tenant, long delta) {
        if (tenant != null) {
            long now = tenants.getOrDefault(tenant, 0L) + delta;
            if (now == 0) {
                tenants.remove(tenant);
            } else {
                tenants.put(tenant, now);
            }
        }
    }

    private Waiter first() {
        Iterator<Waiter> it = waiters.iterator();
        return it.hasNext() ? it.next() : null;
    }

    /** Only the first waiter can take bytes, so only it is woken: no herd on every release. */
    private void wakeFirst() {
        Waiter first = first();
        if (first != null) {
            first.turn.signal();
        }
    }

    private static long toNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return "ByteBudget[" + inUse + " of " + capacity + " bytes in use]";
    }

    /** Compared by identity: two waiters are never the same one. */
    private static final class Waiter {
        final Condition turn;

        Waiter(Condition turn) {
            this.turn = turn;
        }
    }

    /** A held reservation; close() gives it back (idempotent). */
    public final class Reservation implements AutoCloseable {

        private final Object tenant;
        private long bytes;
        private boolean closed;

        private Reservation(Object tenant, long bytes) {
            this.tenant = tenant;
            this.bytes = bytes;
        }

        public long bytes() {
            lock.lock();
            try {
                return bytes;
            } finally {
                lock.unlock();
            }
        }

        /** Grows the reservation without waiting; false (and unchanged) when the budget or its tenant's share cannot cover it. */
        public boolean tryGrow(long more) {
            if (more < 0) {
                throw new IllegalArgumentException("Cannot grow a reservation by a negative number of bytes: " + more);
            }
            lock.lock();
            try {
                if (closed) {
                    throw new IllegalStateException("This reservation was given back already");
                }
                if (!fits(more) || !withinShare(tenant, more)) {
                    return false;
                }
                add(more);
                return true;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Grows the reservation, waiting up to {@code maxWait} for the bytes to come free; false (and
         * unchanged) when they did not. Like {@link #tryGrow} it goes before queued reservations:
         * finishing work under way is what frees bytes. Waits are bounded, so reservations waiting to
         * grow cannot hold each other up for ever: one gives up, gives its bytes back, and the others go on.
         */
        public boolean grow(long more, Duration maxWait) throws InterruptedException {
            if (more < 0) {
                throw new IllegalArgumentException("Cannot grow a reservation by a negative number of bytes: " + more);
            }
            long nanos = maxWait.isNegative() ? 0 : toNanos(maxWait);
            lock.lockInterruptibly();
            try {
                if (closed) {
                    throw new IllegalStateException("This reservation was given back already");
                }
                while (!fits(more)) {
                    if (nanos <= 0 || more > capacity || !withinShare(tenant, more)) {
                        return false;
                    }
                    nanos = released.awaitNanos(nanos);
                }
                if (!withinShare(tenant, more)) {
                    return false; // only the tenant's own work can make room: waiting for it here could deadlock
                }
                add(more);
                return true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                inUse -= bytes;
                held(tenant, -bytes);
                wakeFirst();
                released.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private void add(long more) {
            inUse += more;
            bytes += more;
            held(tenant, more);
        }

        @Override
        public String toString() {
            return "Reservation[" + bytes() + " bytes" + (closed ? ", given back" : "") + "]";
        }
    }
}
