package io.pollster.system;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Settings every capability shares.
 *
 * @param dataDir    where Pollster keeps its files: the embedded database, the generated admin
 *                   token, written batches ({@code POLLSTER_DATA_DIR}, default {@code ./data})
 * @param adminToken the admin's bearer token ({@code POLLSTER_ADMIN_TOKEN}); when unset and the
 *                   database is embedded, one is generated into {@code <dataDir>/admin-token}
 * @param transport  what carries the queues ({@code POLLSTER_TRANSPORT}): {@code postgres}
 *                   (default, tables in the database) or {@code rabbitmq} (the standard
 *                   {@code SPRING_RABBITMQ_*} settings say where)
 * @param minInterval the shortest interval a job may ask for ({@code pollster.min-interval}, 1s)
 * @param pollHistory poll-history entries kept per job ({@code pollster.poll-history}, 100)
 * @param maxBodySize larger upstream bodies fail the poll ({@code pollster.max-body-size}, 10MB)
 */
@ConfigurationProperties("pollster")
public record PollsterProperties(@DefaultValue("./data") Path dataDir, String adminToken,
                                 @DefaultValue("postgres") TransportKind transport,
                                 @DefaultValue("1s") Duration minInterval,
                                 @DefaultValue("100") int pollHistory,
                                 @DefaultValue("10MB") DataSize maxBodySize) {

    public enum TransportKind {
        POSTGRES, RABBITMQ
    }


    public PollsterProperties {
        dataDir = dataDir.toAbsolutePath().normalize();
        if (adminToken != null && adminToken.isBlank()) {
            adminToken = null;
        }
    }
}
