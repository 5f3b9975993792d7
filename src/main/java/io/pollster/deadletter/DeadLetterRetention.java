package io.pollster.deadletter;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

import io.pollster.system.RetentionProperties;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Keeps dead letters bounded: deletes those older than {@code pollster.retention.dead-letters-age}
 * and, per user, all but the newest {@code pollster.retention.dead-letters} — in batches, so that
 * a user with millions of them costs many short statements, not one long one. Runs with the
 * scheduler role; every node may run it, the deletes do not conflict.
 */
@Component
class DeadLetterRetention extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterRetention.class);
    static final int BATCH = 5_000;

    private final DeadLetterRepository letters;
    private final RetentionProperties retention;
    private final Clock clock;
    private final Roles roles;

    DeadLetterRetention(DeadLetterRepository letters, RetentionProperties retention, Clock clock, Roles roles,
                        Loops loops) {
        super(loops, "dead-letter-retention", retention.interval(), ShutdownPhase.UPKEEP, Duration.ofSeconds(10));
        this.letters = letters;
        this.retention = retention;
        this.clock = clock;
        this.roles = roles;
    }

    @Override
    protected Duration runOnce() {
        prune();
        return retention.interval();
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.SCHEDULER);
    }

    /** One pass; returns how many dead letters it deleted. */
    int prune() {
        int deleted = 0;
        for (int n; (n = letters.deleteOlderThan(clock.instant().minus(retention.deadLettersAge()), BATCH)) > 0; ) {
            deleted += n;
        }
        for (UUID owner : letters.ownersWithMoreThan(retention.deadLetters())) {
            for (int n; (n = letters.deleteBeyondNewest(owner, retention.deadLetters(), BATCH)) > 0; ) {
                deleted += n;
            }
        }
        if (deleted > 0) {
            log.info("Pruned {} dead letters", deleted);
        }
        return deleted;
    }
}
