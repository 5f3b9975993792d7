package io.pollster.system.secret;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF-SHA256 (RFC 5869). Written out because {@code javax.crypto.KDF} is not in Java 21, the
 * release Pollster compiles for; it is short enough to check line by line against the RFC.
 */
final class Hkdf {

    private static final String HMAC = "HmacSHA256";
    private static final int HASH_BYTES = 32;

    private Hkdf() {
    }

    /** Extract then expand: {@code length} bytes of output keying material. */
    static byte[] derive(byte[] salt, byte[] ikm, byte[] info, int length) {
        return expand(extract(salt, ikm), info, length);
    }

    /** PRK = HMAC-Hash(salt, IKM); no salt means HashLen zero bytes (RFC 5869 §2.2). */
    static byte[] extract(byte[] salt, byte[] ikm) {
        byte[] key = salt == null || salt.length == 0 ? new byte[HASH_BYTES] : salt;
        return hmac(key).doFinal(ikm);
    }

    /** T(i) = HMAC-Hash(PRK, T(i-1) | info | i), concatenated and cut to {@code length} (RFC 5869 §2.3). */
    static byte[] expand(byte[] prk, byte[] info, int length) {
        if (length < 1 || length > 255 * HASH_BYTES) {
            throw new IllegalArgumentException("HKDF-SHA256 gives 1 to " + 255 * HASH_BYTES + " bytes, not " + length);
        }
        Mac mac = hmac(prk);
        ByteArrayOutputStream okm = new ByteArrayOutputStream(length + HASH_BYTES);
        byte[] t = new byte[0];
        for (int i = 1; okm.size() < length; i++) {
            mac.update(t);
            mac.update(info);
            mac.update((byte) i);
            t = mac.doFinal();
            okm.writeBytes(t);
        }
        return Arrays.copyOf(okm.toByteArray(), length);
    }

    private static Mac hmac(byte[] key) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Every JDK has " + HMAC, e);
        }
    }
}
