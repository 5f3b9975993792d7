package io.pollster.support;

import java.util.ArrayList;
import java.util.List;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local Redis of the tests ({@code POLLSTER_TEST_REDIS_PORT}, default 6379), shared with other
 * runs: each test keeps its keys under a prefix of its own and deletes them at the end.
 */
public final class TestRedis {

    private TestRedis() {
    }

    /** A started connection factory; fails the test when Redis does not answer. */
    public static LettuceConnectionFactory connect() {
        int port = Integer.parseInt(System.getenv().getOrDefault("POLLSTER_TEST_REDIS_PORT", "6379"));
        LettuceConnectionFactory connections = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port));
        connections.afterPropertiesSet();
        connections.start();
        assertThat(new StringRedisTemplate(connections).execute((RedisCallback<String>) RedisConnection::ping))
                .as("the local Redis answers").isEqualTo("PONG");
        return connections;
    }

    /** The keys under {@code prefix}. */
    public static List<String> keys(LettuceConnectionFactory connections, String prefix) {
        List<String> all = new ArrayList<>();
        try (var keys = new StringRedisTemplate(connections).scan(ScanOptions.scanOptions().match(prefix + "*").count(1000).build())) {
            keys.forEachRemaining(all::add);
        }
        return all;
    }

    /** Deletes the keys under {@code prefix}, then closes the connections. */
    public static void dropAndClose(LettuceConnectionFactory connections, String prefix) {
        List<String> all = keys(connections, prefix);
        if (!all.isEmpty()) {
            new StringRedisTemplate(connections).delete(all);
        }
        connections.destroy();
    }
}
