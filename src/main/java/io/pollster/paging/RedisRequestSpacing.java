package io.pollster.paging;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * {@link RequestSpacing} on Redis ({@code POLLSTER_CACHE=redis}): one key per spacing holding the
 * microsecond its next request may go, moved by a script on Redis's clock so that every node
 * shares one schedule; keys expire a minute after they stop mattering. Paused keys are also
 * listed in one sorted set by when their pause ends, for the nodes' once-a-second refresh.
 */
final class RedisRequestSpacing implements RequestSpacing {

    private static final String NOW = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            """;

    private static final RedisScript<Long> TAKE = RedisScript.of(NOW + """
            local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
            if next_at > now then
              return next_at - now
            end
            local later = now + tonumber(ARGV[1])
            redis.call('SET', KEYS[1], string.format('%.0f', later), 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 60000)
            return 0
            """, Long.class);

    private static final RedisScript<Long> PAUSE = RedisScript.of(NOW + """
            local untilAt = now + tonumber(ARGV[1])
            local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
            if untilAt > next_at then
              redis.call('SET', KEYS[1], string.format('%.0f', untilAt), 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 60000)
            end
            redis.call('ZADD', KEYS[2], 'GT', string.format('%.0f', untilAt), ARGV[2])
            return 0
            """, Long.class);

    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> PAUSED = RedisScript.of(NOW + """
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            local paused = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
            table.insert(paused, 1, string.format('%.0f', now))
            return paused
            """, List.class);

    private final StringRedisTemplate redis;
    private final String prefix;

    /** @param prefix every key's prefix: the installation's own, on a shared Redis */
    RedisRequestSpacing(StringRedisTemplate redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    @Override
    public Duration take(String key, Duration interval) {
        Long waitUs = redis.execute(TAKE, List.of(prefix + "spacing:" + key), Long.toString(micros(interval)));
        return waitUs == null || waitUs <= 0 ? Duration.ZERO : Duration.ofNanos(Math.max(1_000_000, waitUs * 1_000));
    }

    @Override
    public Map<String, Instant> pausedUnder(String keyPrefix) {
        List<?> flat = redis.execute(PAUSED, List.of(prefix + "pauses"));
        Map<String, Instant> paused = new HashMap<>();
        if (flat == null || flat.isEmpty()) {
            return paused;
        }
        long now = Long.parseLong(flat.get(0).toString());
        Instant here = Instant.now();
        for (int i = 1; i + 1 < flat.size(); i += 2) {
            String key = flat.get(i).toString();
            if (key.startsWith(keyPrefix)) {
                long until = (long) Double.parseDouble(flat.get(i + 1).toString());
                paused.put(key.substring(keyPrefix.length()), here.plusNanos((until - now) * 1_000));
            }
        }
        return paused;
    }

    @Override
    public void forgetPast() {
        // spacing keys expire by themselves; PAUSED drops ended pauses from the set
    }

    @Override
    public void pause(String key, Duration pause) {
        redis.execute(PAUSE, List.of(prefix + "spacing:" + key, prefix + "pauses"), Long.toString(micros(pause)), key);
    }

    private static long micros(Duration duration) {
        return duration.toNanos() / 1_000;
    }
}
