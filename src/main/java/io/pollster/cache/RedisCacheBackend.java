package io.pollster.cache;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * {@link CacheBackend} on Redis ({@code POLLSTER_CACHE=redis}). Per key, three keys in one hash
 * slot: the entry (a hash: answer, validators, fresh-until), the lock ({@code SET NX PX} holding
 * the holder's fence) and the last fence taken. Scripts run on Redis's clock; a write checks that
 * its fence is still the last one taken (fencing), gives the lock back only if it still holds it
 * (token-checked release) and publishes the key on {@code <prefix>cache}, which wakes the waiters
 * of every node. Fences grow with Redis's clock in microseconds, so they keep growing even after
 * a key's fence record expired.
 */
final class RedisCacheBackend implements CacheBackend {

    private static final String NOW = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            """;

    /**
     * KEYS entry, lock, fence; ARGV leaseMs, etag, lastModified, inlineLimit, maxAgeMs. An entry
     * serves this reader until the earlier of its store plus the reader's max age and its own limit.
     */
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> LOOKUP = RedisScript.of(NOW + """
            local e = redis.call('HMGET', KEYS[1], 'fresh', 'etag', 'lm', 'stored', 'by')
            local untilMs = false
            if e[1] and e[4] then
              untilMs = math.min(tonumber(e[4]) + tonumber(ARGV[5]), tonumber(e[1]))
            end
            if untilMs and untilMs > now then
              local same = false
              if ARGV[2] ~= '' and e[2] then
                same = (e[2] == ARGV[2])
              elseif ARGV[3] ~= '' and e[3] then
                same = (e[3] == ARGV[3])
              end
              if same then
                return {'same', e[2] or '', e[3] or '', e[5] or ''}
              end
              local size = redis.call('HSTRLEN', KEYS[1], 'answer')
              local answer = ''
              if size <= tonumber(ARGV[4]) then
                answer = redis.call('HGET', KEYS[1], 'answer')
              end
              return {'hit', answer, string.format('%.0f', untilMs - now), tostring(size), e[5] or ''}
            end
            local lease = tonumber(ARGV[1])
            local fence = math.max(tonumber(redis.call('GET', KEYS[3]) or '0') + 1, tonumber(t[1]) * 1000000 + tonumber(t[2]))
            local f = string.format('%.0f', fence)
            if not redis.call('SET', KEYS[2], f, 'NX', 'PX', lease) then
              return {'busy'}
            end
            redis.call('SET', KEYS[3], f, 'PX', math.max(lease * 2, tonumber(redis.call('PTTL', KEYS[1])) + lease))
            local answer = redis.call('HEXISTS', KEYS[1], 'answer') == 1
            return {'won', f, answer and e[2] or '', answer and e[3] or ''}
            """, List.class);

    /** KEYS entry; the answer while it is fresh, else nothing. */
    private static final RedisScript<byte[]> READ = RedisScript.of(NOW + """
            local fresh = redis.call('HGET', KEYS[1], 'fresh')
            if fresh and tonumber(fresh) > now then
              return redis.call('HGET', KEYS[1], 'answer')
            end
            return false
            """, byte[].class);

    /**
     * KEYS entry, lock, fence; ARGV fence, servesMs, retainMs, channel, key, mode (store|refresh), etag, lm, answer,
     * storedBy.
     */
    private static final RedisScript<Long> WRITE = RedisScript.of(NOW + """
            if redis.call('GET', KEYS[3]) ~= ARGV[1] then
              return 0
            end
            if ARGV[6] == 'store' then
              redis.call('DEL', KEYS[1])
              redis.call('HSET', KEYS[1], 'answer', ARGV[9])
              if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'etag', ARGV[7]) end
              if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'lm', ARGV[8]) end
            else
              if redis.call('HEXISTS', KEYS[1], 'answer') == 0 then
                return 0
              end
              if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'etag', ARGV[7]) end
              if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'lm', ARGV[8]) end
            end
            redis.call('HSET', KEYS[1], 'fresh', string.format('%.0f', now + tonumber(ARGV[2])),
                       'stored', string.format('%.0f', now), 'by', ARGV[10])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            if redis.call('GET', KEYS[2]) == ARGV[1] then
              redis.call('DEL', KEYS[2])
            end
            redis.call('PUBLISH', ARGV[4], ARGV[5])
            return 1
            """, Long.class);

    /** KEYS lock; ARGV fence, channel, key. */
    private static final RedisScript<Long> RELEASE = RedisScript.of("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('DEL', KEYS[1])
              redis.call('PUBLISH', ARGV[2], ARGV[3])
              return 1
            end
            return 0
            """, Long.class);

    /** KEYS check; ARGV keyId (hex), holdMs. */
    private static final RedisScript<Long> CLAIM_KEY_CHECK = RedisScript.of("""
            local held = redis.call('GET', KEYS[1])
            if held and held ~= ARGV[1] then
              return 0
            end
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1
            """, Long.class);

    private static final RedisSerializer<Object> ARGS = new RedisSerializer<>() {
        @Override
        public byte[] serialize(Object value) {
            return value instanceof byte[] bytes ? bytes : String.valueOf(value).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Object deserialize(byte[] bytes) {
            return bytes;
        }
    };

    private final RedisTemplate<String, byte[]> redis;
    private final String prefix;
    private final String channel;

    /** @param prefix every key's prefix: the installation's own, on a shared Redis */
    RedisCacheBackend(RedisTemplate<String, byte[]> redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
        this.channel = channel(prefix);
    }

    /** Where writes are announced: the key in hex. */
    static String channel(String prefix) {
        return prefix + "cache";
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Lookup lookup(byte[] key, Duration maxAge, Duration lease, String etag, String lastModified, int inlineLimit) {
        List<?> reply = redis.execute(LOOKUP, ARGS, bytes(), keys(key), Long.toString(lease.toMillis()),
                orEmpty(etag), orEmpty(lastModified), Integer.toString(inlineLimit), Long.toString(maxAge.toMillis()));
        if (reply == null || reply.isEmpty()) {
            throw new IllegalStateException("Redis answered the cache lookup with nothing");
        }
        return switch (text(reply.get(0))) {
            case "hit" -> {
                long size = Long.parseLong(text(reply.get(3)));
                byte[] answer = (byte[]) reply.get(1);
                yield new Hit(size <= inlineLimit ? answer : null, size, Duration.ofMillis(Long.parseLong(text(reply.get(2)))),
                        user(text(reply.get(4))));
            }
            case "same" -> new Same(nullIfEmpty(text(reply.get(1))), nullIfEmpty(text(reply.get(2))), user(text(reply.get(3))));
            case "won" -> new Won(Long.parseLong(text(reply.get(1))), nullIfEmpty(text(reply.get(2))),
                    nullIfEmpty(text(reply.get(3))));
            default -> new Busy();
        };
    }

    @Override
    public byte[] read(byte[] key) {
        return redis.execute(READ, ARGS, bytes(), List.of(keys(key).get(0)));
    }

    @Override
    public boolean store(byte[] key, long fence, byte[] answer, String etag, String lastModified, UUID storedBy,
                         Duration serves, Duration retain) {
        return write(key, fence, "store", answer, etag, lastModified, storedBy, serves, retain);
    }

    @Override
    public boolean refresh(byte[] key, long fence, String etag, String lastModified, UUID storedBy, Duration retain) {
        return write(key, fence, "refresh", new byte[0], etag, lastModified, storedBy, retain, retain);
    }

    private boolean write(byte[] key, long fence, String mode, byte[] answer, String etag, String lastModified, UUID storedBy,
                          Duration serves, Duration retain) {
        Long written = redis.execute(WRITE, ARGS, bytes(), keys(key), Long.toString(fence),
                Long.toString(serves.toMillis()), Long.toString(retain.toMillis()), channel, HexFormat.of().formatHex(key), mode,
                orEmpty(etag), orEmpty(lastModified), answer, storedBy == null ? "" : storedBy.toString());
        return written != null && written == 1;
    }

    @Override
    public void release(byte[] key, long fence) {
        redis.execute(RELEASE, ARGS, bytes(), List.of(keys(key).get(1)), Long.toString(fence), channel,
                HexFormat.of().formatHex(key));
    }

    @Override
    public boolean claimKeyCheck(byte[] keyId, Duration hold) {
        Long claimed = redis.execute(CLAIM_KEY_CHECK, ARGS, bytes(), List.of(prefix + "cache-key-check"),
                HexFormat.of().formatHex(keyId), Long.toString(hold.toMillis()));
        return claimed != null && claimed == 1;
    }

    @Override
    public void check() {
        String pong = redis.execute(connection -> connection.ping(), true);
        if (!"PONG".equalsIgnoreCase(pong)) {
            throw new IllegalStateException("Redis answered PING with " + pong);
        }
    }

    /** The entry, its lock and its fence, in one hash slot (a Redis Cluster runs each script on one node). */
    private List<String> keys(byte[] key) {
        String tag = prefix + "cache:{" + HexFormat.of().formatHex(key) + "}";
        return List.of(tag, tag + ":lock", tag + ":fence");
    }

    /** Bulk strings come back as bytes (an answer is binary); integers stay numbers. */
    @SuppressWarnings("unchecked")
    private static <T> RedisSerializer<T> bytes() {
        return (RedisSerializer<T>) (RedisSerializer<?>) RedisSerializer.byteArray();
    }

    private static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }

    private static UUID user(String value) {
        return value.isEmpty() ? null : UUID.fromString(value);
    }

    private static String nullIfEmpty(String value) {
        return value.isEmpty() ? null : value;
    }
}
