package io.pollster.user;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Bearer tokens: 256 random bits, stored only as their SHA-256. A fast hash is right here (unlike
 * for passwords): the token has full entropy, so nothing can be guessed from its hash, and every
 * API call looks it up.
 */
final class ApiTokens {

    static final String PREFIX = "pst_";
    static final int MAX_LENGTH = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiTokens() {
    }

    static String generate() {
        return PREFIX + random();
    }

    /** 256 random bits, base64url: a token's secret part, or a web UI session's id and CSRF token. */
    static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
