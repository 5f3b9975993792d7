package io.pollster.system.secret;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key policy for secrets at rest, and the AES keys made from key material.
 * <p>
 * Key material must be at least 32 random bytes, written as hex, base64 or base64url: a string
 * that decodes to fewer bytes cannot hold 256 bits of entropy, and a passphrase would be one
 * SHA-256 away from an offline guess. The AES key is HKDF-SHA256 of those bytes, so the cipher
 * never sees the material itself and other uses can draw independent keys from it with their own
 * info string.
 */
final class SecretKeys {

    static final int MIN_BYTES = 32;

    /** Names what the derived key is for; changing it changes every key, so it carries a version. */
    private static final byte[] INFO = "pollster secret headers v2".getBytes(StandardCharsets.UTF_8);
    private static final Pattern HEX = Pattern.compile("(?:[0-9a-fA-F]{2})+");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]+={0,2}");
    private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+={0,2}");

    private SecretKeys() {
    }

    /**
     * The bytes {@code material} encodes, checked against the policy.
     *
     * @param source what the material came from, for the message: {@code POLLSTER_SECRET_KEY} or a file
     * @throws IllegalStateException saying what is wrong and what to do; it never quotes the material
     */
    static byte[] decode(String source, String material) {
        String text = material == null ? "" : material.strip();
        if (text.isEmpty()) {
            throw refused(source, "is empty");
        }
        byte[] bytes = decodeAny(text);
        if (bytes == null) {
            throw refused(source, "is not hex, base64 or base64url");
        }
        if (bytes.length < MIN_BYTES) {
            throw refused(source, "decodes to only " + bytes.length + " bytes");
        }
        return bytes;
    }

    /** The current (format 2) AES-256 key: HKDF-SHA256 of the decoded material, no salt (it is random already). */
    static SecretKey current(byte[] material) {
        return new SecretKeySpec(Hkdf.derive(null, material, INFO, 32), "AES");
    }

    /** The format 1 AES-256 key: SHA-256 of the material string as it was configured, kept only to read old values. */
    static SecretKey legacy(String material) {
        try {
            return new SecretKeySpec(MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8)), "AES");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }

    /**
     * Hex first: a hex string is also valid base64, and {@code openssl rand -hex 32} means hex.
     * Base64 padding is optional; base64url is what URL-safe generators print.
     */
    private static byte[] decodeAny(String text) {
        try {
            if (HEX.matcher(text).matches()) {
                return HexFormat.of().parseHex(text);
            }
            if (BASE64.matcher(text).matches()) {
                return Base64.getDecoder().decode(text);
            }
            if (BASE64URL.matcher(text).matches()) {
                return Base64.getUrlDecoder().decode(text);
            }
        } catch (IllegalArgumentException e) {
            return null; // a bad length or misplaced padding
        }
        return null;
    }

    private static IllegalStateException refused(String source, String problem) {
        return new IllegalStateException(source + " " + problem + ": POLLSTER_SECRET_KEY must be at least " + MIN_BYTES
                + " random bytes, base64- or hex-encoded; generate one with: openssl rand -base64 32. If job secrets"
                + " were sealed under the old value, also set POLLSTER_LEGACY_SECRET_KEY to it: they are then read"
                + " with it and sealed again under the new key");
    }
}
