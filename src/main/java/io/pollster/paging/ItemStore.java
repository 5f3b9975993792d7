package io.pollster.paging;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * {@code items} and {@code job_pages}: the one writer of both. Items are written in the
 * transaction of the page (or poll) that carried them, keys locked in order, so two writers of one
 * job's items never deadlock and a redelivered page finds its items already there.
 */
@Repository
class ItemStore {

    private static final String LOCK = """
            SELECT key, hash, size FROM items WHERE job_id = :jobId AND key = ANY(:keys) ORDER BY key FOR UPDATE
            """;

    private static final String UPSERT = """
            INSERT INTO items (job_id, key, hash, content, size, first_seen_at, last_seen_at, last_changed_at)
            SELECT :jobId, t.key, t.hash, t.content, t.size, :now, :now, :now
            FROM unnest(CAST(:keys AS TEXT[]), CAST(:hashes AS BYTEA[]), CAST(:contents AS BYTEA[]), CAST(:sizes AS BIGINT[]))
                AS t(key, hash, content, size)
            ON CONFLICT (job_id, key) DO UPDATE
            SET last_seen_at = EXCLUDED.last_seen_at,
                hash = EXCLUDED.hash,
                content = CASE WHEN items.hash = EXCLUDED.hash THEN items.content ELSE EXCLUDED.content END,
                size = CASE WHEN items.hash = EXCLUDED.hash THEN items.size ELSE EXCLUDED.size END,
                content_type = CASE WHEN items.hash = EXCLUDED.hash THEN items.content_type ELSE 'application/json' END,
                last_changed_at = CASE WHEN items.hash = EXCLUDED.hash THEN items.last_changed_at
                                       ELSE EXCLUDED.last_changed_at END
            """;

    /** New keys: of two writers inserting one key at once, one gets it back (created), the other sees it exist. */
    private static final String INSERT_NEW = """
            INSERT INTO items (job_id, key, hash, content, size, first_seen_at, last_seen_at, last_changed_at)
            SELECT :jobId, t.key, t.hash, t.content, t.size, :now, :now, :now
            FROM unnest(CAST(:keys AS TEXT[]), CAST(:hashes AS BYTEA[]), CAST(:contents AS BYTEA[]), CAST(:sizes AS BIGINT[]))
                AS t(key, hash, content, size)
            ORDER BY t.key
            ON CONFLICT (job_id, key) DO NOTHING
            RETURNING key
            """;

    /** Returns how many bytes more the item holds now. */
    private static final String DETAIL = """
            WITH old AS (
                SELECT size
                FROM items
                WHERE job_id = :jobId AND key = :key AND hash = :hash
                FOR UPDATE
            )
            UPDATE items i
            SET content = :content, content_type = :contentType, size = :size
            FROM old
            WHERE i.job_id = :jobId AND i.key = :key AND i.hash = :hash
            RETURNING :size - old.size
            """;

    private static final String PAGE_HASH = "SELECT hash FROM job_pages WHERE job_id = :jobId AND number = :number";

    private static final String SET_PAGE_HASH = """
            INSERT INTO job_pages (job_id, number, hash) VALUES (:jobId, :number, :hash)
            ON CONFLICT (job_id, number) DO UPDATE SET hash = EXCLUDED.hash
            """;

    private static final String FORGET_PAGES = "DELETE FROM job_pages WHERE job_id = :jobId";

    private static final String LIST = """
            SELECT key, hash, first_seen_at, last_seen_at, last_changed_at
            FROM items WHERE job_id = :jobId AND key > :after ORDER BY key LIMIT :limit
            """;

    private static final String ONE = """
            SELECT key, hash, first_seen_at, last_seen_at, last_changed_at, content, content_type
            FROM items WHERE job_id = :jobId AND key = :key
            """;

    private static final HexFormat HEX = HexFormat.of();

    private final JdbcClient jdbc;

    ItemStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Writes what a page carried; returns the keys that were new and those whose content changed.
     * Keys seen twice in the batch count once (the last one wins).
     */
    Changes write(UUID jobId, List<ItemSplitter.Item> seen, Instant now) {
        List<ItemSplitter.Item> items = distinct(seen);
        if (items.isEmpty()) {
            return new Changes(List.of(), List.of(), 0);
        }
        Map<String, Known> known = lock(jobId, items);
        List<ItemSplitter.Item> fresh = items.stream().filter(item -> !known.containsKey(item.key())).toList();
        long bytes = 0;
        List<ItemSplitter.Item> created = new ArrayList<>();
        if (!fresh.isEmpty()) {
            java.util.Set<String> inserted = new java.util.HashSet<>(bind(jdbc.sql(INSERT_NEW), jobId, fresh, now)
                    .query(String.class).list());
            fresh.stream().filter(item -> inserted.contains(item.key())).forEach(created::add);
            bytes += created.stream().mapToLong(ItemSplitter.Item::size).sum();
            // keys another writer inserted in the meantime: compared with what it wrote, like any known key
            known.putAll(lock(jobId, fresh.stream().filter(item -> !inserted.contains(item.key())).toList()));
        }
        List<ItemSplitter.Item> changed = new ArrayList<>();
        List<ItemSplitter.Item> seenBefore = new ArrayList<>();
        for (ItemSplitter.Item item : items) {
            Known before = known.get(item.key());
            if (before != null) {
                seenBefore.add(item);
                if (!java.util.Arrays.equals(before.hash(), item.hash())) {
                    changed.add(item);
                    bytes += item.size() - before.size();
                }
            }
        }
        if (!seenBefore.isEmpty()) {
            bind(jdbc.sql(UPSERT), jobId, seenBefore, now).update();
        }
        return new Changes(created, changed, bytes);
    }

    /** @param bytes how many bytes more the job's items hold now (its owner's quota counts them) */
    record Changes(List<ItemSplitter.Item> created, List<ItemSplitter.Item> changed, long bytes) {

        static final Changes NONE = new Changes(List.of(), List.of(), 0);

        Changes plus(Changes more) {
            List<ItemSplitter.Item> allCreated = new ArrayList<>(created);
            allCreated.addAll(more.created);
            List<ItemSplitter.Item> allChanged = new ArrayList<>(changed);
            allChanged.addAll(more.changed);
            return new Changes(allCreated, allChanged, bytes + more.bytes);
        }
    }

    private record Known(byte[] hash, long size) {
    }

    /** One item per key (the last one seen), in key order: the order every writer locks them in. */
    static List<ItemSplitter.Item> distinct(List<ItemSplitter.Item> seen) {
        Map<String, ItemSplitter.Item> byKey = new HashMap<>();
        seen.forEach(item -> byKey.put(item.key(), item));
        List<ItemSplitter.Item> items = new ArrayList<>(byKey.values());
        items.sort(Comparator.comparing(ItemSplitter.Item::key));
        return items;
    }

    /** The stored hashes of these items' keys, their rows locked in key order. */
    private Map<String, Known> lock(UUID jobId, List<ItemSplitter.Item> items) {
        Map<String, Known> known = new HashMap<>();
        if (!items.isEmpty()) {
            jdbc.sql(LOCK).param("jobId", jobId).param("keys", items.stream().map(ItemSplitter.Item::key).toArray(String[]::new))
                    .query(rs -> {
                        known.put(rs.getString("key"), new Known(rs.getBytes("hash"), rs.getLong("size")));
                    });
        }
        return known;
    }

    private static JdbcClient.StatementSpec bind(JdbcClient.StatementSpec sql, UUID jobId, List<ItemSplitter.Item> items, Instant now) {
        return sql.param("jobId", jobId).param("now", Timestamp.from(now))
                .param("keys", items.stream().map(ItemSplitter.Item::key).toArray(String[]::new))
                .param("hashes", items.stream().map(ItemSplitter.Item::hash).toArray(byte[][]::new))
                .param("contents", items.stream().map(ItemSplitter.Item::content).toArray(byte[][]::new))
                .param("sizes", items.stream().map(item -> (long) item.size()).toArray(Long[]::new));
    }

    /**
     * An item's followed detail becomes its content, unless the item changed again meanwhile.
     *
     * @param size the detail's bytes as received
     * @return how many bytes more the item holds now
     */
    long detail(UUID jobId, String key, byte[] hash, byte[] content, String contentType, long size) {
        return jdbc.sql(DETAIL).param("jobId", jobId).param("key", key).param("hash", hash).param("content", content)
                .param("contentType", contentType == null ? "application/octet-stream" : contentType).param("size", size)
                .query(Long.class).optional().orElse(0L);
    }

    Optional<byte[]> pageHash(UUID jobId, int number) {
        return jdbc.sql(PAGE_HASH).param("jobId", jobId).param("number", number).query(byte[].class).optional();
    }

    void pageHash(UUID jobId, int number, byte[] hash) {
        jdbc.sql(SET_PAGE_HASH).param("jobId", jobId).param("number", number).param("hash", hash).update();
    }

    /** The job's page hashes, forgotten when what a page means may have changed (its request, its items). */
    void forgetPages(UUID jobId) {
        jdbc.sql(FORGET_PAGES).param("jobId", jobId).update();
    }

    record ItemView(String key, String hash, Instant firstSeenAt, Instant lastSeenAt, Instant lastChangedAt) {
    }

    List<ItemView> page(UUID jobId, String after, int limit) {
        return jdbc.sql(LIST).param("jobId", jobId).param("after", after == null ? "" : after).param("limit", limit)
                .query((rs, n) -> new ItemView(rs.getString("key"), HEX.formatHex(rs.getBytes("hash")),
                        rs.getTimestamp("first_seen_at").toInstant(), rs.getTimestamp("last_seen_at").toInstant(),
                        rs.getTimestamp("last_changed_at").toInstant()))
                .list();
    }

    record StoredItem(ItemView view, byte[] content, String contentType) {
    }

    Optional<StoredItem> find(UUID jobId, String key) {
        return jdbc.sql(ONE).param("jobId", jobId).param("key", key)
                .query((rs, n) -> new StoredItem(new ItemView(rs.getString("key"), HEX.formatHex(rs.getBytes("hash")),
                        rs.getTimestamp("first_seen_at").toInstant(), rs.getTimestamp("last_seen_at").toInstant(),
                        rs.getTimestamp("last_changed_at").toInstant()), rs.getBytes("content"), rs.getString("content_type")))
                .optional();
    }
}
