package io.pollster.user;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

import io.pollster.system.SecretFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin's token: {@code POLLSTER_ADMIN_TOKEN}, or in standalone mode one generated on first
 * start into {@code <dataDir>/admin-token} (mode 600). Only the file's path is logged.
 */
final class AdminToken {

    static final int MIN_LENGTH = 16;
    private static final Logger log = LoggerFactory.getLogger(AdminToken.class);

    private final byte[] hash;

    private AdminToken(String token) {
        this.hash = token == null ? null : ApiTokens.hash(token);
    }

    /**
     * @param configured {@code POLLSTER_ADMIN_TOKEN}, or null
     * @param standalone true with the embedded database: only then is a token generated
     */
    static AdminToken resolve(String configured, Path dataDir, boolean standalone) throws IOException {
        if (configured != null && configured.length() < MIN_LENGTH) {
            throw new IllegalStateException("POLLSTER_ADMIN_TOKEN must be at least " + MIN_LENGTH + " characters long");
        }
        String token = configured;
        if (token == null && standalone) {
            token = readOrGenerate(dataDir.resolve("admin-token"));
        }
        if (token == null) {
            log.warn("No admin token: set POLLSTER_ADMIN_TOKEN to manage users (with an external database none is generated)");
        }
        return new AdminToken(token);
    }

    boolean matches(byte[] tokenHash) {
        return hash != null && MessageDigest.isEqual(hash, tokenHash);
    }

    private static String readOrGenerate(Path file) throws IOException {
        if (Files.exists(file)) {
            String token = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (token.length() >= MIN_LENGTH) {
                log.info("Admin token: read it from {}", file);
                return token;
            }
            log.warn("{} holds no usable token; generating a new one", file);
        }
        String token = ApiTokens.generate();
        SecretFiles.write(file, token);
        log.info("Generated the admin token into {} (readable only by this user)", file);
        return token;
    }
}
