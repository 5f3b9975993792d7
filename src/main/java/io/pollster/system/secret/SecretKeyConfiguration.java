package io.pollster.system.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

import io.pollster.system.PollsterProperties;
import io.pollster.system.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The key for secrets at rest: {@code POLLSTER_SECRET_KEY} ({@code pollster.secret-key}: at least
 * 32 random bytes, hex, base64 or base64url; see {@link SecretKeys}), else one generated once
 * into {@code <dataDir>/secret-key} (mode 600). Nodes sharing a database must share the key: set
 * it explicitly when running more than one process.
 * <p>
 * {@code POLLSTER_LEGACY_SECRET_KEY} ({@code pollster.legacy-secret-key}, unset by default): the
 * key string values of format 1 were sealed under, when it differs from the current one — the way
 * out for a deployment whose old key fails today's policy. Unset, format 1 opens under the current
 * key string, which is right for every deployment that did not change it.
 */
@Configuration(proxyBeanMethods = false)
class SecretKeyConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecretKeyConfiguration.class);

    @Bean
    SecretBox secretBox(PollsterProperties pollster,
                        @Value("${pollster.secret-key:#{null}}") String configured,
                        @Value("${pollster.legacy-secret-key:#{null}}") String legacy) throws IOException {
        return create(pollster.dataDir(), configured, legacy);
    }

    /**
     * @param configured {@code POLLSTER_SECRET_KEY}, or null when unset (set but empty is refused)
     * @param legacy     {@code POLLSTER_LEGACY_SECRET_KEY}, or null
     */
    static SecretBox create(Path dataDir, String configured, String legacy) throws IOException {
        Path file = dataDir.resolve("secret-key");
        String material;
        byte[] decoded;
        if (configured != null && configured.isBlank()) {
            // an empty variable is more often a missing substitution than a wish for a per-node key
            throw new IllegalStateException("POLLSTER_SECRET_KEY is set but empty: unset it to use the key generated"
                    + " into " + file + ", or set it to at least " + SecretKeys.MIN_BYTES + " random bytes, base64- or"
                    + " hex-encoded; generate one with: openssl rand -base64 32");
        } else if (configured != null) {
            material = configured;
            decoded = SecretKeys.decode("POLLSTER_SECRET_KEY", material);
        } else {
            material = readOrGenerate(file);
            decoded = SecretKeys.decode("The key in " + file, material);
        }
        // format 1 hashed the string exactly as configured (the file's content stripped)
        String legacyMaterial = legacy == null || legacy.isEmpty() ? material : legacy;
        return new SecretBox(SecretKeys.current(decoded), SecretKeys.legacy(legacyMaterial));
    }

    private static String readOrGenerate(Path file) throws IOException {
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        byte[] key = new byte[SecretKeys.MIN_BYTES];
        new SecureRandom().nextBytes(key);
        String material = Base64.getEncoder().encodeToString(key);
        SecretFiles.write(file, material);
        log.info("Generated the key for secrets at rest into {}; set POLLSTER_SECRET_KEY on every node when running several", file);
        return material;
    }
}
