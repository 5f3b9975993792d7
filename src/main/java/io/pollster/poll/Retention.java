package io.pollster.poll;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.job.JobRepository;
import io.pollster.output.DeliveryBacklog;
import io.pollster.output.EventLog;
import io.pollster.paging.Runs;
import io.pollster.system.PollsterProperties;
import io.pollster.system.RetentionProperties;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import io.pollster.version.VersionRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Prunes what each job keeps, in the background: versions beyond the count or age limits (never
 * a job's newest), bodies no version uses any more (and their bytes from the owner's quota), and
 * poll history and paginated runs beyond {@code pollster.poll-history}, and events by the versions' count and age
 * limits (an event with a delivery still pending stays), after trimming each output's pending deliveries to
 * {@code pollster.outputs.max-pending} ({@link DeliveryBacklog}). It walks the jobs in id order, a batch at a
 * time, each batch one short transaction that reads only those jobs' rows by index: a pass costs
 * what the jobs keep, and no transaction spans the whole table.
 */
@Component
public class Retention extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(Retention.class);

    /** Jobs pruned per transaction. */
    static final int BATCH = 200;

    /** One pruner at a time across every node sharing the database: a node finding it taken skips its pass. */
    private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock(7405226471385214053)";

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final JobRepository jobs;
    private final VersionRepository versions;
    private final PollHistory history;
    private final EventLog events;
    private final DeliveryBacklog backlog;
    private final Runs runs;
    private final RetentionProperties retention;
    private final int pollHistory;
    private final Clock clock;
    private final Roles roles;

    Retention(JdbcClient jdbc, TransactionTemplate tx, JobRepository jobs, VersionRepository versions, PollHistory history,
              EventLog events, DeliveryBacklog backlog, Runs runs, RetentionProperties retention, PollsterProperties pollster, Clock clock, Roles roles,
              Loops loops) {
        // a batch in flight finishes (it is one short transaction); none starts after
        super(loops, "retention", retention.interval(), ShutdownPhase.UPKEEP, Duration.ofSeconds(10));
        this.jdbc = jdbc;
        this.tx = tx;
        this.jobs = jobs;
        this.versions = versions;
        this.history = history;
        this.events = events;
        this.backlog = backlog;
        this.runs = runs;
        this.retention = retention;
        this.pollHistory = pollster.pollHistory();
        this.clock = clock;
        this.roles = roles;
    }

    /** What one pass removed. */
    public record Pruned(int versions, int bodies, int polls) {

        Pruned plus(Pruned other) {
            return new Pruned(versions + other.versions, bodies + other.bodies, polls + other.polls);
        }
    }

    /** One pruning pass over every job; nothing when another node is pruning. */
    public Pruned prune() {
        Pruned total = new Pruned(0, 0, 0);
        JobId after = new JobId(new UUID(0, 0)); // PostgreSQL orders UUIDs by their unsigned bytes: this is the least
        while (true) {
            List<UUID> batch = jobs.idsAfter(after, BATCH);
            if (batch.isEmpty()) {
                break;
            }
            // first, so that the events of deliveries it drops go in this pass (its own short transactions)
            backlog.trim(batch);
            Pruned pruned = tx.execute(status -> pruneLocked(batch));
            if (pruned == null) {
                break; // another node holds the lock: it prunes this time
            }
            total = total.plus(pruned);
            after = new JobId(batch.getLast());
        }
        if (total.versions() + total.bodies() + total.polls() > 0) {
            log.info("Pruned {} versions, {} bodies and {} poll-history entries", total.versions(), total.bodies(), total.polls());
        }
        return total;
    }

    private Pruned pruneLocked(List<UUID> batch) {
        if (!Boolean.TRUE.equals(jdbc.sql(TRY_LOCK).query(Boolean.class).single())) {
            return null;
        }
        int removedVersions = versions.prune(batch, retention.versions(), clock.instant().minus(retention.age()));
        VersionRepository.FreedBodies freed = versions.pruneBodies(batch);
        Map<UUID, Long> released = new HashMap<>();
        freed.bytesByJob().forEach((job, bytes) -> released.put(job, -bytes));
        jobs.addStored(released);
        // the job's open entry is one more, kept in its poll state
        int polls = history.prune(batch, Math.max(0, pollHistory - 1));
        events.prune(batch, retention.versions(), clock.instant().minus(retention.age()),
                clock.instant().minus(retention.deadLettersAge()));
        runs.prune(batch, pollHistory);
        return new Pruned(removedVersions, freed.bodies(), polls);
    }

    @Override
    protected Duration runOnce() {
        prune();
        return retention.interval();
    }

    /** Background upkeep belongs with the scheduler role; the advisory lock keeps it to one node at a time. */
    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.SCHEDULER);
    }
}
