package io.pollster.paging;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Where request spacing lives: PostgreSQL (default), or Redis with {@code POLLSTER_CACHE=redis}. */
@Configuration(proxyBeanMethods = false)
class SpacingConfiguration {

    @Bean
    RequestSpacing requestSpacing(@Value("${pollster.cache:postgres}") String backend, JdbcClient jdbc,
                                  ObjectProvider<StringRedisTemplate> redis,
                                  @Value("${pollster.redis.key-prefix:pollster:}") String prefix) {
        return switch (backend.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "postgres" -> new PostgresRequestSpacing(jdbc);
            case "redis" -> new RedisRequestSpacing(redis.getObject(), prefix);
            default -> throw new IllegalStateException("POLLSTER_CACHE is \"" + backend + "\": it must be postgres or redis");
        };
    }
}
