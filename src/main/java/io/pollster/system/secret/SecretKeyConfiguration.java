package io.pollster.system.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.spec.SecretKeySpec;

import io.pollster.system.PollsterProperties;
import io.pollster.system.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The key for secrets at rest: {@code POLLSTER_SECRET_KEY} (any string; its SHA-256 is the AES-256
 * key), else one generated once into {@code <dataDir>/secret-key} (mode 600). Nodes sharing a
 * database must share the key: set it explicitly when running more than one process.
 */
@Configuration(proxyBeanMethods = false)
class SecretKeyConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecretKeyConfiguration.class);

    @Bean
    SecretBox secretBox(PollsterProperties pollster, @Value("${pollster.secret-key:}") String configured) throws IOException {
        String material = configured.isBlank() ? readOrGenerate(pollster.dataDir().resolve("secret-key")) : configured;
        return new SecretBox(new SecretKeySpec(sha256(material), "AES"));
    }

    private static String readOrGenerate(Path file) throws IOException {
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String material = Base64.getEncoder().encodeToString(key);
        SecretFiles.write(file, material);
        log.info("Generated the key for secrets at rest into {}; set POLLSTER_SECRET_KEY on every node when running several", file);
        return material;
    }

    private static byte[] sha256(String material) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
