package io.pollster.system.embedded;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The embedded PostgreSQL, used when {@code SPRING_DATASOURCE_URL} is not set.
 *
 * @param port         the loopback port it listens on; 0 (default) picks a free one at each start
 * @param startTimeout how long a start (or the stop of an orphan left by a killed run) may take
 */
@ConfigurationProperties("pollster.embedded-postgres")
public record EmbeddedPostgresProperties(@DefaultValue("0") int port, @DefaultValue("60s") Duration startTimeout) {
}
