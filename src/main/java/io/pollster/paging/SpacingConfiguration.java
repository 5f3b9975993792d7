package io.pollster.paging;

import io.pollster.cache.UpstreamCache;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Request spacing lives where the shared cache does ({@code POLLSTER_CACHE}): PostgreSQL, or Redis. */
@Configuration(proxyBeanMethods = false)
class SpacingConfiguration {

    @Bean
    RequestSpacing requestSpacing(UpstreamCache cache, JdbcClient jdbc, ObjectProvider<StringRedisTemplate> redis,
                                  @Value("${pollster.redis.key-prefix:pollster:}") String prefix) {
        return cache.backend().equals("redis") ? new RedisRequestSpacing(redis.getObject(), prefix) : new PostgresRequestSpacing(jdbc);
    }
}
