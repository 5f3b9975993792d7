package io.pollster.deadletter;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.system.Ids;
import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.DeadLetterType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The {@code dead_letters} table, and the one way in: both transports and the poller record
 * through {@link #record}. A dead letter is written only while its job and owner exist (a deleted
 * user's or job's data goes with them, so a late dead letter of theirs is dropped, not left to
 * fail on a foreign key forever). Repeats of one job's same poll failure fold into one row, and so
 * do the deliveries dropped from one output of a job (counted in the row).
 */
@Repository
class DeadLetterRepository implements DeadLetterSink {

    private static final String COLUMNS = """
            id, type, job_id, owner_id, queue, payload, error, attempts, count, first_failed_at, failed_at
            """;

    /** Only while job and owner exist; {@code :given} ids (a redelivered message) are recorded once. */
    private static final String INSERT = """
            INSERT INTO dead_letters (id, type, job_id, owner_id, queue, payload, error, attempts, count,
                                      first_failed_at, failed_at)
            SELECT :id, :type, :jobId, :ownerId, :queue, :payload, :error, :attempts, 1, :now, :now
            WHERE (CAST(:ownerId AS UUID) IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = :ownerId))
              AND (CAST(:jobId AS UUID) IS NULL OR EXISTS (SELECT 1 FROM jobs WHERE id = :jobId))
            ON CONFLICT (id) DO NOTHING
            """;

    /** A poll failing as it did before adds to that dead letter: the newest payload and time, one more repeat. */
    private static final String INSERT_OR_REPEAT = """
            INSERT INTO dead_letters (id, type, job_id, owner_id, queue, payload, error, attempts, count,
                                      first_failed_at, failed_at)
            SELECT :id, :type, :jobId, :ownerId, :queue, :payload, :error, :attempts, 1, :now, :now
            WHERE (CAST(:ownerId AS UUID) IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = :ownerId))
              AND EXISTS (SELECT 1 FROM jobs WHERE id = :jobId)
            ON CONFLICT (job_id, type, md5(error)) WHERE type = 'poll' AND job_id IS NOT NULL
            DO UPDATE SET payload = EXCLUDED.payload, attempts = EXCLUDED.attempts, failed_at = EXCLUDED.failed_at,
                          count = dead_letters.count + 1
            """;

    /** Deliveries dropped from a crowded lane add to the lane's dead letter (its error names the output). */
    private static final String INSERT_OR_ADD_DROPPED = """
            INSERT INTO dead_letters (id, type, job_id, owner_id, queue, payload, error, attempts, count,
                                      first_failed_at, failed_at)
            SELECT :id, 'delivery', :jobId, :ownerId, NULL, :payload, :error, 0, :count, :now, :now
            WHERE EXISTS (SELECT 1 FROM users WHERE id = :ownerId)
              AND EXISTS (SELECT 1 FROM jobs WHERE id = :jobId)
            ON CONFLICT (job_id, md5(error)) WHERE type = 'delivery' AND job_id IS NOT NULL AND error LIKE 'dropped:%'
            DO UPDATE SET payload = EXCLUDED.payload, failed_at = EXCLUDED.failed_at,
                          count = dead_letters.count + EXCLUDED.count
            """;

    private static final String FIND_PAGE = "SELECT " + COLUMNS + """
            FROM dead_letters
            WHERE (:anyOwner OR owner_id = :owner)
              AND (:anyType OR type = :type)
              AND id > :after
            ORDER BY id
            LIMIT :limit
            """;

    private static final String FIND = "SELECT " + COLUMNS + "FROM dead_letters WHERE id = :id";

    /** Takes the row, so that of two concurrent replays only one gets it. */
    private static final String TAKE = "DELETE FROM dead_letters WHERE id = :id RETURNING " + COLUMNS;

    private static final String DELETE = "DELETE FROM dead_letters WHERE id = :id";

    private static final String DELETE_OLDER = """
            DELETE FROM dead_letters
            WHERE id = ANY(ARRAY(
                SELECT id
                FROM dead_letters
                WHERE failed_at < :before
                LIMIT :batch))
            """;

    private static final String OWNERS_OVER = """
            SELECT owner_id
            FROM dead_letters
            GROUP BY owner_id
            HAVING count(*) > :keep
            """;

    private static final String DELETE_BEYOND_NEWEST = """
            DELETE FROM dead_letters
            WHERE id = ANY(ARRAY(
                SELECT id
                FROM dead_letters
                WHERE owner_id IS NOT DISTINCT FROM CAST(:owner AS UUID)
                ORDER BY failed_at DESC, id DESC
                OFFSET :keep
                LIMIT :batch))
            """;

    private final JdbcClient jdbc;
    private final MeterRegistry meters;

    DeadLetterRepository(JdbcClient jdbc, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.meters = meters;
    }

    record DeadLetter(UUID id, DeadLetterType type, UUID jobId, UUID ownerId, String queue, byte[] payload, String error,
                      int attempts, int count, Instant firstFailedAt, Instant failedAt) {
    }

    @Override
    public boolean record(DeadLetterSink.DeadLetter letter) {
        // a poll's repeats collapse whichever transport records them (a redelivered one counts once more: harmless)
        boolean collapses = letter.type() == DeadLetterType.POLL && letter.jobId() != null;
        int rows = jdbc.sql(collapses ? INSERT_OR_REPEAT : INSERT)
                .param("id", letter.id() != null ? letter.id() : Ids.next())
                .param("type", letter.type().wireName())
                .param("jobId", letter.jobId())
                .param("ownerId", letter.ownerId())
                .param("queue", letter.queue())
                .param("payload", letter.payload())
                .param("error", letter.error())
                .param("attempts", letter.attempts())
                .param("now", Timestamp.from(letter.failedAt()))
                .update();
        if (rows == 1) {
            meters.counter("pollster.dead.letters", "type", letter.type().wireName()).increment();
            return true;
        }
        // a redelivered message already recorded is recorded; a deleted job's or owner's is dropped
        return letter.id() != null && find(letter.id()).isPresent();
    }

    @Override
    public boolean recordDropped(DeadLetterSink.DeadLetter letter, int count) {
        if (letter.type() != DeadLetterType.DELIVERY || letter.jobId() == null || letter.ownerId() == null
                || !letter.error().startsWith(DROPPED) || count < 1) {
            throw new IllegalArgumentException("not a dead letter of dropped deliveries");
        }
        int rows = jdbc.sql(INSERT_OR_ADD_DROPPED)
                .param("id", Ids.next())
                .param("jobId", letter.jobId())
                .param("ownerId", letter.ownerId())
                .param("payload", letter.payload())
                .param("error", letter.error())
                .param("count", count)
                .param("now", Timestamp.from(letter.failedAt()))
                .update();
        if (rows == 1) {
            meters.counter("pollster.dead.letters", "type", letter.type().wireName()).increment();
        }
        return rows == 1;
    }

    List<DeadLetter> findPage(UUID owner, DeadLetterType type, UUID after, int limit) {
        return jdbc.sql(FIND_PAGE)
                .param("anyOwner", owner == null)
                .param("owner", owner == null ? new UUID(0, 0) : owner)
                .param("anyType", type == null)
                .param("type", type == null ? "" : type.wireName())
                .param("after", after)
                .param("limit", limit)
                .query(DeadLetterRepository::map)
                .list();
    }

    Optional<DeadLetter> find(UUID id) {
        return jdbc.sql(FIND).param("id", id).query(DeadLetterRepository::map).optional();
    }

    /** Deletes the dead letter and returns it; empty when it was already gone (taken by another replay). */
    Optional<DeadLetter> take(UUID id) {
        return jdbc.sql(TAKE).param("id", id).query(DeadLetterRepository::map).optional();
    }

    int deleteOlderThan(Instant before, int batch) {
        return jdbc.sql(DELETE_OLDER).param("before", Timestamp.from(before)).param("batch", batch).update();
    }

    /** Owners (null for dead letters of no user) with more than {@code keep} dead letters. */
    List<UUID> ownersWithMoreThan(int keep) {
        return jdbc.sql(OWNERS_OVER).param("keep", keep).query((rs, n) -> rs.getObject(1, UUID.class)).list();
    }

    int deleteBeyondNewest(UUID owner, int keep, int batch) {
        return jdbc.sql(DELETE_BEYOND_NEWEST).param("owner", owner).param("keep", keep).param("batch", batch).update();
    }

    boolean delete(UUID id) {
        return jdbc.sql(DELETE).param("id", id).update() == 1;
    }

    private static DeadLetter map(ResultSet rs, int row) throws SQLException {
        return new DeadLetter(rs.getObject("id", UUID.class), DeadLetterType.fromWireName(rs.getString("type")),
                rs.getObject("job_id", UUID.class), rs.getObject("owner_id", UUID.class), rs.getString("queue"),
                rs.getBytes("payload"), rs.getString("error"), rs.getInt("attempts"), rs.getInt("count"),
                rs.getTimestamp("first_failed_at").toInstant(), rs.getTimestamp("failed_at").toInstant());
    }
}
