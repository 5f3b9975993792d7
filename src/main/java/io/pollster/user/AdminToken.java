package io.pollster.user;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

import javax.crypto.Mac;

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

    /** Names what the session mark is for; a new version ends every admin session. */
    private static final byte[] SESSION_MARK = "pollster admin session v1".getBytes(StandardCharsets.UTF_8);

    private final byte[] hash;
    private final byte[] sessionMark;

    private AdminToken(String token, Mac keyed) {
        this.hash = token == null ? null : ApiTokens.hash(token);
        if (hash == null) {
            this.sessionMark = null;
        } else {
            keyed.update(SESSION_MARK);
            this.sessionMark = keyed.doFinal(hash);
        }
    }

    /**
     * @param configured {@code POLLSTER_ADMIN_TOKEN}, or null
     * @param standalone true with the embedded database: only then is a token generated
     * @param keyed      an HMAC under a key of this deployment's secret key, for {@link #sessionMark()}
     */
    static AdminToken resolve(String configured, Path dataDir, boolean standalone, Mac keyed) throws IOException {
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
        return new AdminToken(token, keyed);
    }

    /** Whether the hash is the admin token's, compared in constant time. */
    boolean matches(byte[] tokenHash) {
        return hash != null && tokenHash != null && MessageDigest.isEqual(hash, tokenHash);
    }

    /**
     * What an admin web UI session stores of the token it came from: an HMAC of the token's hash
     * under a key derived from the secret key, so the session ends when the admin token changes,
     * and a reader of the database (without the secret key) cannot test guesses of the token
     * against it, as it could against a plain hash of an operator-chosen token.
     */
    byte[] sessionMark() {
        return sessionMark;
    }

    boolean marks(byte[] stored) {
        return sessionMark != null && stored != null && MessageDigest.isEqual(sessionMark, stored);
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
