package io.pollster.cache;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * {@link CacheBackend} on PostgreSQL: one row per key in {@code cache_entries}, which is the lock
 * as well (a lease with a fence from a sequence), on the database's clock. Writers
 * {@code NOTIFY pollster_cache} with the key in hex; {@link PostgresCacheListener} hears it on
 * every node. Rows past their retention are deleted by {@link PostgresCacheListener} too.
 */
final class PostgresCacheBackend implements CacheBackend {

    static final String CHANNEL = "pollster_cache";

    private static final String SAME = """
            CASE WHEN CAST(:etag AS TEXT) IS NOT NULL AND etag IS NOT NULL THEN etag = CAST(:etag AS TEXT)
                 WHEN CAST(:lastModified AS TEXT) IS NOT NULL AND last_modified IS NOT NULL
                      THEN last_modified = CAST(:lastModified AS TEXT)
                 ELSE false END""";

    /**
     * Until when an entry serves this reader: younger than the reader's max age, and within what
     * the entry allows. Null (serves no one) for a row without an answer yet. LEAST skips nulls,
     * hence the CASE.
     */
    private static String servesUntil(String row) {
        return """
                CASE WHEN %1$s.stored_at IS NOT NULL AND %1$s.fresh_until IS NOT NULL
                     THEN LEAST(%1$s.stored_at + :maxAgeMs * INTERVAL '1 millisecond', %1$s.fresh_until) END""".formatted(row);
    }

    private static final String LOOKUP = """
            SELECT until > now() AS fresh,
                   COALESCE(lease_until > now(), false) AS leased,
                   CAST(GREATEST(0, EXTRACT(EPOCH FROM until - now()) * 1000) AS BIGINT) AS fresh_ms,
                   etag, last_modified, stored_by, answer IS NOT NULL AND (%1$s) AS same, octet_length(answer) AS size,
                   CASE WHEN until > now() AND NOT (answer IS NOT NULL AND (%1$s))
                             AND octet_length(answer) <= :inline THEN answer END AS answer
            FROM (SELECT *, %2$s AS until FROM cache_entries WHERE key = :key) AS entry
            """.formatted(SAME, servesUntil("cache_entries"));

    /** The lease, when the row is neither fresh for this reader nor leased (a missing row is neither). */
    private static final String ACQUIRE = """
            INSERT INTO cache_entries (key, fence, lease_until, expires_at)
            VALUES (:key, nextval('cache_fences'), now() + :leaseMs * INTERVAL '1 millisecond',
                    now() + :leaseMs * INTERVAL '1 millisecond')
            ON CONFLICT (key) DO UPDATE
            SET fence = nextval('cache_fences'),
                lease_until = EXCLUDED.lease_until,
                expires_at = GREATEST(cache_entries.expires_at, EXCLUDED.expires_at)
            WHERE (cache_entries.lease_until IS NULL OR cache_entries.lease_until <= now())
              AND COALESCE(%s <= now(), true)
            RETURNING fence, CASE WHEN answer IS NOT NULL THEN etag END AS etag,
                      CASE WHEN answer IS NOT NULL THEN last_modified END AS last_modified
            """.formatted(servesUntil("cache_entries"));

    private static final String STORE = """
            WITH stored AS (
                UPDATE cache_entries
                SET answer = :answer, etag = :etag, last_modified = :lastModified, lease_until = NULL,
                    stored_at = now(), stored_by = :storedBy,
                    fresh_until = now() + :servesMs * INTERVAL '1 millisecond',
                    expires_at = now() + :retainMs * INTERVAL '1 millisecond'
                WHERE key = :key AND fence = :fence
                RETURNING key)
            SELECT pg_notify('%s', encode(key, 'hex')) IS NULL AS notified FROM stored
            """.formatted(CHANNEL);

    private static final String REFRESH = """
            WITH stored AS (
                UPDATE cache_entries
                SET etag = COALESCE(CAST(:etag AS TEXT), etag),
                    last_modified = COALESCE(CAST(:lastModified AS TEXT), last_modified), lease_until = NULL,
                    stored_at = now(), stored_by = :storedBy,
                    fresh_until = now() + :retainMs * INTERVAL '1 millisecond',
                    expires_at = now() + :retainMs * INTERVAL '1 millisecond'
                WHERE key = :key AND fence = :fence AND answer IS NOT NULL
                RETURNING key)
            SELECT pg_notify('%s', encode(key, 'hex')) IS NULL AS notified FROM stored
            """.formatted(CHANNEL);

    private static final String RELEASE = """
            WITH released AS (
                UPDATE cache_entries SET lease_until = NULL
                WHERE key = :key AND fence = :fence
                RETURNING key)
            SELECT pg_notify('%s', encode(key, 'hex')) IS NULL AS notified FROM released
            """.formatted(CHANNEL);

    private static final String READ = "SELECT answer FROM cache_entries WHERE key = :key AND fresh_until > now()";

    /** The outer conditions again: a row leased or stored since the inner look is kept. */
    private static final String SWEEP = """
            DELETE FROM cache_entries
            WHERE key IN (SELECT key FROM cache_entries
                          WHERE expires_at < now() AND (lease_until IS NULL OR lease_until < now())
                          LIMIT :limit)
              AND expires_at < now() AND (lease_until IS NULL OR lease_until < now())
            """;

    /** Taken when free, the same key's, or its holders went quiet; a row comes back only then. */
    private static final String CLAIM_KEY_CHECK = """
            INSERT INTO cache_key_checks (id, key_id, expires_at)
            VALUES (1, :keyId, now() + :holdMs * INTERVAL '1 millisecond')
            ON CONFLICT (id) DO UPDATE
            SET key_id = EXCLUDED.key_id, expires_at = EXCLUDED.expires_at
            WHERE cache_key_checks.key_id = EXCLUDED.key_id OR cache_key_checks.expires_at < now()
            RETURNING id
            """;

    /** Every statement is short: a database that stalls fails a lookup in seconds instead of holding a poll's slot. */
    static final int QUERY_TIMEOUT_SECONDS = 5;

    private final JdbcClient jdbc;

    PostgresCacheBackend(DataSource dataSource) {
        JdbcTemplate template = new JdbcTemplate(dataSource);
        template.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
        this.jdbc = JdbcClient.create(template);
    }

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public Lookup lookup(byte[] key, Duration maxAge, Duration lease, String etag, String lastModified, int inlineLimit) {
        Optional<Lookup> found = jdbc.sql(LOOKUP).param("key", key).param("etag", etag).param("lastModified", lastModified)
                .param("inline", inlineLimit).param("maxAgeMs", maxAge.toMillis())
                .query((rs, n) -> {
                    if (rs.getBoolean("fresh")) {
                        UUID storedBy = rs.getObject("stored_by", UUID.class);
                        return rs.getBoolean("same") ? new Same(rs.getString("etag"), rs.getString("last_modified"), storedBy)
                                : (Lookup) new Hit(rs.getBytes("answer"), rs.getLong("size"),
                                        Duration.ofMillis(rs.getLong("fresh_ms")), storedBy);
                    }
                    return rs.getBoolean("leased") ? new Busy() : null;
                }).optional();
        if (found.isPresent()) {
            return found.get();
        }
        List<Lookup> won = jdbc.sql(ACQUIRE).param("key", key).param("leaseMs", lease.toMillis())
                .param("maxAgeMs", maxAge.toMillis())
                .query((rs, n) -> (Lookup) new Won(rs.getLong("fence"), rs.getString("etag"), rs.getString("last_modified")))
                .list();
        // not won: another poll took the lease, or stored an answer, between the two statements
        return won.isEmpty() ? new Busy() : won.getFirst();
    }

    @Override
    public byte[] read(byte[] key) {
        return jdbc.sql(READ).param("key", key).query((rs, n) -> rs.getBytes("answer")).optional().orElse(null);
    }

    @Override
    public boolean store(byte[] key, long fence, byte[] answer, String etag, String lastModified, UUID storedBy,
                         Duration serves, Duration retain) {
        return !jdbc.sql(STORE).param("key", key).param("fence", fence).param("answer", answer).param("etag", etag)
                .param("lastModified", lastModified).param("storedBy", storedBy).param("servesMs", serves.toMillis())
                .param("retainMs", retain.toMillis())
                .query((rs, n) -> true).list().isEmpty();
    }

    @Override
    public boolean refresh(byte[] key, long fence, String etag, String lastModified, UUID storedBy, Duration retain) {
        return !jdbc.sql(REFRESH).param("key", key).param("fence", fence).param("etag", etag)
                .param("lastModified", lastModified).param("storedBy", storedBy).param("retainMs", retain.toMillis())
                .query((rs, n) -> true).list().isEmpty();
    }

    @Override
    public void release(byte[] key, long fence) {
        jdbc.sql(RELEASE).param("key", key).param("fence", fence).query((rs, n) -> true).list();
    }

    @Override
    public boolean claimKeyCheck(byte[] keyId, Duration hold) {
        return !jdbc.sql(CLAIM_KEY_CHECK).param("keyId", keyId).param("holdMs", hold.toMillis())
                .query((rs, n) -> true).list().isEmpty();
    }

    @Override
    public void check() {
        jdbc.sql("SELECT 1").query(Integer.class).single();
    }

    /** Deletes up to {@code limit} entries past their retention whose lease is not held. */
    int sweep(int limit) {
        return jdbc.sql(SWEEP).param("limit", limit).update();
    }
}
