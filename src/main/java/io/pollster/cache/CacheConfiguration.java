package io.pollster.cache;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;

import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.system.Roles;
import io.pollster.system.loop.Loops;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.core.task.SyncTaskExecutor;
import org.springframework.util.unit.DataSize;

/**
 * The shared upstream cache's backend, by {@code POLLSTER_CACHE}: {@code postgres} (default) or
 * {@code redis}; how each wakes waiters; and the {@code cache} health indicator, part of
 * readiness: with Redis, a node that cannot reach it is not ready.
 */
@Configuration(proxyBeanMethods = false)
class CacheConfiguration {

    @Bean
    CacheBackend cacheBackend(@Value("${pollster.cache:postgres}") String backend, DataSource dataSource,
                              ObjectProvider<RedisConnectionFactory> redis,
                              @Value("${pollster.redis.key-prefix:pollster:}") String prefix) {
        return switch (backend.strip().toLowerCase(Locale.ROOT)) {
            case "postgres" -> new PostgresCacheBackend(dataSource);
            case "redis" -> new RedisCacheBackend(binaryTemplate(redis.getObject()), prefix);
            default -> throw new IllegalStateException("POLLSTER_CACHE is \"" + backend + "\": it must be postgres or redis");
        };
    }

    @Bean
    UpstreamCache upstreamCache(CacheBackend backend, CacheWaiters waiters, RequestKey keys, Clock clock, MeterRegistry meters,
                                @Value("${pollster.cache-max-entry-size:1MB}") DataSize maxEntrySize) {
        if (maxEntrySize.toBytes() < 1024) {
            throw new IllegalStateException("pollster.cache-max-entry-size is " + maxEntrySize + ": it must be at least 1KB");
        }
        return new UpstreamCache(backend, waiters, keys, clock, meters, maxEntrySize.toBytes());
    }

    /** PostgreSQL: {@code LISTEN} on a connection of its own; null (no bean) with Redis. */
    @Bean
    PostgresCacheListener postgresCacheListener(CacheBackend backend, DataSource dataSource, CacheWaiters waiters,
                                                Roles roles, Loops loops) {
        return backend instanceof PostgresCacheBackend postgres
                ? new PostgresCacheListener(dataSource, waiters, postgres, roles, loops) : null;
    }

    /** Redis: a subscription to the cache's channel; it resubscribes by itself after Redis comes back. */
    @Bean
    RedisMessageListenerContainer cacheSubscription(CacheBackend backend, ObjectProvider<RedisConnectionFactory> redis,
                                                    CacheWaiters waiters, Roles roles,
                                                    @Value("${pollster.redis.key-prefix:pollster:}") String prefix) {
        if (!(backend instanceof RedisCacheBackend) || !roles.has(Roles.Role.POLLER)) {
            return null;
        }
        RedisMessageListenerContainer container = new RedisMessageListenerContainer();
        container.setConnectionFactory(redis.getObject());
        // waking waiters is a map lookup: no thread per message (the default executor starts one each)
        container.setTaskExecutor(new SyncTaskExecutor());
        container.addMessageListener((message, pattern) -> waiters.landed(new String(message.getBody(), StandardCharsets.UTF_8)),
                new ChannelTopic(RedisCacheBackend.channel(prefix)));
        return container;
    }

    @Bean
    CacheKeyCheck cacheKeyCheck(CacheBackend backend, RequestKey keys, Roles roles, Loops loops) {
        return new CacheKeyCheck(backend, keys, roles, loops);
    }

    @Bean
    HealthIndicator cacheHealthIndicator(CacheBackend backend, CacheKeyCheck keyCheck) {
        return () -> {
            try {
                backend.check();
                Health.Builder up = Health.up().withDetail("backend", backend.name());
                if (Boolean.FALSE.equals(keyCheck.shared())) {
                    up.withDetail("key", "another live node has another POLLSTER_SECRET_KEY: its polls and this node's"
                            + " do not share upstream calls; set the same key on every node");
                }
                return up.build();
            } catch (RuntimeException e) {
                return Health.down().withDetail("backend", backend.name())
                        .withDetail("error", "the shared upstream cache (" + backend.name() + ") cannot be reached: "
                                + e.getMessage() + "; polls of jobs with a cache wait until it is back").build();
            }
        };
    }

    private static RedisTemplate<String, byte[]> binaryTemplate(RedisConnectionFactory factory) {
        RedisTemplate<String, byte[]> template = new RedisTemplate<>();
        template.setConnectionFactory(factory);
        template.setKeySerializer(RedisSerializer.string());
        template.setValueSerializer(RedisSerializer.byteArray());
        template.afterPropertiesSet();
        return template;
    }
}
