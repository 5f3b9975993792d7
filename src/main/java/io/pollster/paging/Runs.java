package io.pollster.paging;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.pollster.job.JobSpec;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code runs} and {@code run_pages}: the one writer of both. A page's outcome locks the job's row
 * (shared, {@link #lockJob}), the page's ({@link #lockPage}), then the run's ({@link #lock}) — or,
 * for a page a total planned, adds to the run's counters last ({@link #count}).
 * Public for retention only ({@link #prune}).
 */
@Repository
public class Runs {

    private static final String START = """
            INSERT INTO runs (id, job_id, owner_id, fire_at, started_at, pagination, settings)
            VALUES (:id, :jobId, :ownerId, :fireAt, :startedAt, :pagination, CAST(:settings AS JSONB))
            ON CONFLICT (job_id) WHERE status = 'running' DO NOTHING
            """;

    private static final String JOIN = """
            UPDATE runs SET fire_at = :fireAt
            WHERE job_id = :jobId AND status = 'running' AND fire_at < :fireAt
            """;

    private static final String FIRST_PAGE = """
            INSERT INTO run_pages (run_id, number, state) VALUES (:runId, 1, 'queued')
            """;

    private static final String COLUMNS = """
            id, job_id, owner_id, fire_at, started_at, finished_at, status, pagination, settings, page_size, pages_total,
            pages_planned, pages_queued, pages_done, pages_failed, pages_changed, follows, items_created, items_changed, note, error
            """;

    private static final String LOCK = "SELECT " + COLUMNS + " FROM runs WHERE id = :id FOR UPDATE";

    /**
     * The job's row first, as a delete of the job takes it before it cascades to the run: a page
     * settling while its job is deleted waits, or finds the run gone, and never deadlocks.
     */
    private static final String LOCK_JOB = """
            SELECT 1 FROM jobs j JOIN runs r ON r.job_id = j.id WHERE r.id = :id FOR KEY SHARE OF j
            """;

    private static final String SAVE = """
            UPDATE runs
            SET status = :status, pagination = :pagination, settings = CAST(:settings AS JSONB), page_size = :pageSize,
                pages_total = :total, pages_planned = :planned, pages_queued = :queued, pages_done = :done,
                pages_failed = :failed, pages_changed = :changed, follows = :follows, items_created = :itemsCreated,
                items_changed = :itemsChanged, note = :note, error = :error, finished_at = :finishedAt,
                updated_at = clock_timestamp()
            WHERE id = :id
            """;

    private static final String PAGE = """
            SELECT number, target, item_key, hash, state, attempts, true AS run_running
            FROM run_pages WHERE run_id = :runId AND number = :number FOR UPDATE
            """;

    private static final String PAGE_NOW = """
            SELECT p.number, p.target, p.item_key, p.hash, p.state, p.attempts, r.status = 'running' AS run_running,
                   r.settings
            FROM run_pages p JOIN runs r ON r.id = p.run_id
            WHERE p.run_id = :runId AND p.number = :number
            """;

    private static final String OWNER = "SELECT owner_id FROM runs WHERE id = :id";

    private static final String COUNT = """
            UPDATE runs
            SET pages_done = pages_done + 1, pages_queued = pages_queued + :queued, pages_changed = pages_changed + :changed,
                items_created = items_created + :itemsCreated, items_changed = items_changed + :itemsChanged,
                note = CASE WHEN CAST(:note AS TEXT) IS NULL OR strpos(coalesce(note, ''), :kind) > 0
                                 OR length(coalesce(note, '')) >= :maxNote THEN note
                            WHEN note IS NULL THEN CAST(:note AS TEXT)
                            ELSE note || '; ' || CAST(:note AS TEXT) END,
                updated_at = clock_timestamp()
            WHERE id = :id AND status = 'running'
            RETURNING
            """ + COLUMNS;

    private static final String PAGE_DONE = """
            UPDATE run_pages
            SET state = 'done', attempts = :attempts, http_status = :status, hash = :hash, error = NULL, finished_at = :at
            WHERE run_id = :runId AND number = :number
            """;

    private static final String PAGE_FAILED = """
            UPDATE run_pages
            SET state = 'failed', attempts = :attempts, http_status = :status, error = :error, finished_at = :at
            WHERE run_id = :runId AND number = :number
            """;

    private static final String PLAN = """
            INSERT INTO run_pages (run_id, number)
            SELECT :runId, n FROM generate_series(:from, :to) AS n
            ON CONFLICT DO NOTHING
            """;

    private static final String ADD = """
            INSERT INTO run_pages (run_id, number, target) VALUES (:runId, :number, :target) ON CONFLICT DO NOTHING
            """;

    private static final String FOLLOW = """
            INSERT INTO run_pages (run_id, number, target, item_key, hash) VALUES (:runId, :number, :target, :key, :hash)
            ON CONFLICT DO NOTHING
            """;

    private static final String SEEN = """
            SELECT EXISTS (SELECT 1 FROM run_pages
                           WHERE run_id = :runId AND md5(target) = md5(:target) AND target = :target AND item_key IS NULL)
            """;

    private static final String QUEUE_NEXT = """
            UPDATE run_pages
            SET state = 'queued'
            WHERE run_id = :runId
              AND number IN (SELECT number FROM run_pages WHERE run_id = :runId AND state = 'pending' ORDER BY number LIMIT :n
                             FOR UPDATE SKIP LOCKED)
            RETURNING number
            """;

    private static final String BY_JOB = "SELECT " + COLUMNS + """
             FROM runs WHERE job_id = :jobId AND (CAST(:before AS UUID) IS NULL OR id < :before) ORDER BY id DESC LIMIT :limit
            """;

    private static final String ONE = "SELECT " + COLUMNS + " FROM runs WHERE job_id = :jobId AND id = :id";

    private static final String CURRENT = "SELECT " + COLUMNS + """
             FROM runs WHERE job_id = :jobId ORDER BY (status = 'running') DESC, started_at DESC LIMIT 1
            """;

    private static final String FAILED_PAGES = """
            SELECT number, attempts, http_status, error, finished_at
            FROM run_pages WHERE run_id = :runId AND state = 'failed' ORDER BY number LIMIT :limit
            """;

    private static final String STALLED = """
            SELECT id FROM runs
            WHERE status = 'running' AND updated_at < clock_timestamp() - :afterUs * INTERVAL '1 microsecond'
            ORDER BY updated_at
            LIMIT :limit
            """;

    private static final String QUEUED = "SELECT number FROM run_pages WHERE run_id = :runId AND state = 'queued' ORDER BY number";

    private static final String PRUNE = """
            DELETE FROM runs r
            USING (SELECT id, row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS rank
                   FROM runs WHERE job_id = ANY(:ids)) ranked
            WHERE r.id = ranked.id AND ranked.rank > :keep AND r.status <> 'running'
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final com.github.benmanes.caffeine.cache.Cache<UUID, JobSpec.Pagination> parsedSettings =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(1_000).build();

    Runs(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** A new run with its first page queued; false when a run of the job is running already. */
    boolean start(UUID id, UUID jobId, UUID ownerId, Instant fireAt, Instant now, JobSpec.Pagination settings) {
        int inserted = jdbc.sql(START).param("id", id).param("jobId", jobId).param("ownerId", ownerId)
                .param("fireAt", fireAt == null ? null : Timestamp.from(fireAt)).param("startedAt", Timestamp.from(now))
                .param("pagination", settings.type())
                .param("settings", "auto".equals(settings.type()) ? null : json.writeValueAsString(settings))
                .update();
        if (inserted == 0) {
            return false;
        }
        jdbc.sql(FIRST_PAGE).param("runId", id).update();
        return true;
    }

    /**
     * A later fire joins the job's running run: the run's end closes it. False when the run carries
     * this fire or a later one already (a task delivered twice), or no run is going.
     */
    boolean join(UUID jobId, Instant fireAt) {
        return fireAt != null && jdbc.sql(JOIN).param("jobId", jobId).param("fireAt", Timestamp.from(fireAt)).update() > 0;
    }

    /** Takes the run's job's row, shared (see {@link #LOCK_JOB}); false when the run or its job is gone. */
    boolean lockJob(UUID runId) {
        return !jdbc.sql(LOCK_JOB).param("id", runId).query(Integer.class).list().isEmpty();
    }

    /** The run, its row locked; after {@link #lockJob} and any page's row the caller locks. */
    Optional<RunState> lock(UUID id) {
        return jdbc.sql(LOCK).param("id", id).query(this::state).optional();
    }

    void save(RunState run) {
        jdbc.sql(SAVE).param("id", run.id).param("status", run.status).param("pagination", run.pagination)
                .param("settings", run.settings == null ? null : json.writeValueAsString(run.settings))
                .param("pageSize", run.pageSize).param("total", run.total).param("planned", run.planned)
                .param("queued", run.queued).param("done", run.done).param("failed", run.failed).param("changed", run.changed).param("follows", run.follows)
                .param("itemsCreated", run.itemsCreated).param("itemsChanged", run.itemsChanged).param("note", run.note)
                .param("error", run.error).param("finishedAt", run.finishedAt == null ? null : Timestamp.from(run.finishedAt))
                .update();
    }

    /**
     * @param itemKey the item whose detail this page fetches (a follow), else null
     * @param hash    a follow's item hash when planned; a fetched page's hash once done
     * @param runRunning whether its run is running (as read unlocked; a locked read says true)
     */
    record PageRow(int number, String target, String itemKey, byte[] hash, String state, int attempts, boolean runRunning) {

        boolean follow() {
            return number > Paginator.FOLLOW_BASE;
        }
    }

    /** The page, locked; empty when its run is gone. */
    Optional<PageRow> lockPage(UUID runId, int number) {
        return jdbc.sql(PAGE).param("runId", runId).param("number", number)
                .query(Runs::pageRow)
                .optional();
    }

    /** The page as it stands, unlocked: whether a task for it still has work to do, and its cursor or URL. */
    /** A page as a task about to fetch it reads it (unlocked), with the settings its run walks with. */
    record Fetchable(PageRow page, JobSpec.Pagination settings) {
    }

    /** The page as it stands, unlocked: whether a task for it still has work to do, its cursor or URL, its run's settings. */
    Optional<Fetchable> fetchable(UUID runId, int number) {
        return jdbc.sql(PAGE_NOW).param("runId", runId).param("number", number)
                .query((rs, n) -> {
                    String settings = rs.getString("settings");
                    // settings never change once set (auto sets them at its first page): parsed once per run
                    return new Fetchable(pageRow(rs, n), settings == null ? null
                            : parsedSettings.get(runId, id -> json.readValue(settings, JobSpec.Pagination.class)));
                })
                .optional();
    }

    Optional<UUID> ownerId(UUID runId) {
        return jdbc.sql(OWNER).param("id", runId).query((rs, n) -> rs.getObject("owner_id", UUID.class)).optional();
    }

    /**
     * Adds a settled planned page to its running run's counters — one done, {@code queuedDelta}
     * more in flight — and returns the run as the addition left it (its row now locked to the
     * end of the transaction); empty when the run is not running. {@code note}, when given, is
     * added to the run's note unless a cap note is there already.
     */
    Optional<RunState> count(UUID runId, int queuedDelta, int changed, int itemsCreated, int itemsChanged, String note) {
        return jdbc.sql(COUNT).param("id", runId).param("queued", queuedDelta).param("changed", changed)
                .param("itemsCreated", itemsCreated).param("itemsChanged", itemsChanged)
                .param("note", note).param("kind", ItemSplitter.Split.CAP_NOTE).param("maxNote", RunState.MAX_NOTE)
                .query(this::state).optional();
    }

    void pageDone(UUID runId, int number, int attempts, int status, byte[] hash, Instant at) {
        jdbc.sql(PAGE_DONE).param("runId", runId).param("number", number).param("attempts", attempts).param("status", status)
                .param("hash", hash).param("at", Timestamp.from(at)).update();
    }

    void pageFailed(UUID runId, int number, int attempts, Integer status, String error, Instant at) {
        jdbc.sql(PAGE_FAILED).param("runId", runId).param("number", number).param("attempts", attempts)
                .param("status", status).param("error", error).param("at", Timestamp.from(at)).update();
    }

    /** Plans pages {@code from}..{@code to}, pending. */
    void plan(UUID runId, int from, int to) {
        if (from <= to) {
            jdbc.sql(PLAN).param("runId", runId).param("from", from).param("to", to).update();
        }
    }

    /** Plans one more page of a sequential run, pending, with its cursor or URL. */
    void add(UUID runId, int number, String target) {
        jdbc.sql(ADD).param("runId", runId).param("number", number).param("target", target).update();
    }

    /** Plans a detail fetch of an item, pending: {@code hash} is the item's as it was seen. */
    void follow(UUID runId, int number, String url, String key, byte[] hash) {
        jdbc.sql(FOLLOW).param("runId", runId).param("number", number).param("target", url).param("key", key)
                .param("hash", hash).update();
    }

    /** Whether a page of the run was planned with this cursor or URL already. */
    boolean seen(UUID runId, String target) {
        return Boolean.TRUE.equals(jdbc.sql(SEEN).param("runId", runId).param("target", target).query(Boolean.class).single());
    }

    /** Marks up to {@code n} pending pages queued, lowest numbers first; returns their numbers. */
    List<Integer> queueNext(UUID runId, int n) {
        if (n <= 0) {
            return List.of();
        }
        return jdbc.sql(QUEUE_NEXT).param("runId", runId).param("n", n).query(Integer.class).list();
    }

    /** The job's runs newest first, those before {@code before} (null: from the newest). */
    List<RunState> page(UUID jobId, UUID before, int limit) {
        return jdbc.sql(BY_JOB).param("jobId", jobId).param("before", before).param("limit", limit)
                .query(this::state).list();
    }

    Optional<RunState> find(UUID jobId, UUID id) {
        return jdbc.sql(ONE).param("jobId", jobId).param("id", id).query(this::state).optional();
    }

    /** The job's running run, else its latest; empty when it has none. */
    Optional<RunState> current(UUID jobId) {
        return jdbc.sql(CURRENT).param("jobId", jobId).query(this::state).optional();
    }

    record FailedPage(int number, int attempts, Integer httpStatus, String error, Instant failedAt) {
    }

    List<FailedPage> failedPages(UUID runId, int limit) {
        return jdbc.sql(FAILED_PAGES).param("runId", runId).param("limit", limit)
                .query((rs, n) -> new FailedPage(rs.getInt("number"), rs.getInt("attempts"),
                        (Integer) rs.getObject("http_status"), rs.getString("error"),
                        rs.getTimestamp("finished_at") == null ? null : rs.getTimestamp("finished_at").toInstant()))
                .list();
    }

    /** Running runs no page has moved for {@code after}: their page tasks may have been lost. */
    List<UUID> stalled(java.time.Duration after, int limit) {
        return jdbc.sql(STALLED).param("afterUs", after.toNanos() / 1_000).param("limit", limit).query(UUID.class).list();
    }

    /** Whether the run is still running with no page moved for {@code after} (checked again under its lock). */
    boolean stillStalled(UUID runId, java.time.Duration after) {
        return Boolean.TRUE.equals(jdbc.sql("""
                SELECT status = 'running' AND updated_at < clock_timestamp() - :afterUs * INTERVAL '1 microsecond'
                FROM runs WHERE id = :id
                """).param("id", runId).param("afterUs", after.toNanos() / 1_000).query(Boolean.class).optional().orElse(false));
    }

    /** The run's pages in flight. */
    List<Integer> queued(UUID runId) {
        return jdbc.sql(QUEUED).param("runId", runId).query(Integer.class).list();
    }

    /** Deletes each job's runs beyond its newest {@code keep} (never a running one), with their pages; returns how many. */
    public int prune(List<UUID> jobIds, int keep) {
        return jdbc.sql(PRUNE).param("ids", jobIds.toArray(UUID[]::new)).param("keep", keep).update();
    }

    private static PageRow pageRow(ResultSet rs, int row) throws SQLException {
        return new PageRow(rs.getInt("number"), rs.getString("target"), rs.getString("item_key"), rs.getBytes("hash"),
                rs.getString("state"), rs.getInt("attempts"), rs.getBoolean("run_running"));
    }

    private RunState state(ResultSet rs, int row) throws SQLException {
        Timestamp fire = rs.getTimestamp("fire_at");
        RunState run = new RunState(rs.getObject("id", UUID.class), rs.getObject("job_id", UUID.class),
                rs.getObject("owner_id", UUID.class), fire == null ? null : fire.toInstant(),
                rs.getTimestamp("started_at").toInstant());
        run.status = rs.getString("status");
        run.pagination = rs.getString("pagination");
        String settings = rs.getString("settings");
        run.settings = settings == null ? null : json.readValue(settings, JobSpec.Pagination.class);
        run.pageSize = (Integer) rs.getObject("page_size");
        run.total = (Integer) rs.getObject("pages_total");
        run.planned = rs.getInt("pages_planned");
        run.queued = rs.getInt("pages_queued");
        run.done = rs.getInt("pages_done");
        run.failed = rs.getInt("pages_failed");
        run.changed = rs.getInt("pages_changed");
        run.follows = rs.getInt("follows");
        run.itemsCreated = rs.getInt("items_created");
        run.itemsChanged = rs.getInt("items_changed");
        run.note = rs.getString("note");
        run.error = rs.getString("error");
        Timestamp finished = rs.getTimestamp("finished_at");
        run.finishedAt = finished == null ? null : finished.toInstant();
        return run;
    }
}
