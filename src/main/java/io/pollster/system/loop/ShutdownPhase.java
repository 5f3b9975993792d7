package io.pollster.system.loop;

/**
 * The order Pollster stops in, as {@link org.springframework.context.SmartLifecycle} phases
 * (higher stops first; the web server's graceful shutdown comes after all of these, and the
 * database after that):
 * <ol>
 * <li>{@link #FIRING}: schedulers stop firing, so no new work is made;</li>
 * <li>{@link #CONSUMING}: pollers and ingest workers stop claiming, finish or hand back what
 *     they hold;</li>
 * <li>{@link #WRITING}: batched writers flush what those handed them;</li>
 * <li>{@link #UPKEEP}: heartbeats leave the cluster view, background upkeep ends;</li>
 * <li>{@link #RELAYING}: the outbox relay publishes what everything above committed.</li>
 * </ol>
 */
public final class ShutdownPhase {

    public static final int FIRING = Integer.MAX_VALUE - 100;
    public static final int CONSUMING = Integer.MAX_VALUE - 200;
    public static final int WRITING = Integer.MAX_VALUE - 300;
    public static final int UPKEEP = Integer.MAX_VALUE - 1000;
    public static final int RELAYING = Integer.MAX_VALUE - 2000;

    private ShutdownPhase() {
    }
}
