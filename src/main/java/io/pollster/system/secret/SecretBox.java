package io.pollster.system.secret;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts secrets at rest with AES-256-GCM: a fresh 96-bit nonce per value, stored in front of
 * the ciphertext; the tag makes any tampering or a wrong key fail loudly instead of decrypting
 * to garbage.
 * <p>
 * Format 2 (written): {@code 0x02 | nonce | ciphertext+tag} under the HKDF-derived key, with the
 * format byte and the caller's associated data (the row the value belongs to) authenticated, so a
 * value copied to another row, or relabelled as format 1, does not open. Format 1 (read only):
 * {@code 0x01 | nonce | ciphertext+tag} under the SHA-256 of the key string, no associated data.
 */
public final class SecretBox {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BYTES = 16;
    private static final byte LEGACY = 1;
    private static final byte CURRENT = 2;
    private static final byte[] FINGERPRINTS = "pollster request fingerprints v1".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private final SecretKey key;
    private final SecretKey legacyKey;
    private final SecretKeySpec fingerprintKey;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param key       the format 2 key ({@link SecretKeys#current})
     * @param legacyKey the format 1 key ({@link SecretKeys#legacy}), used only to open old values
     */
    SecretBox(SecretKey key, SecretKey legacyKey) {
        this.key = key;
        this.legacyKey = legacyKey;
        this.fingerprintKey = new SecretKeySpec(Hkdf.derive(null, key.getEncoded(), FINGERPRINTS, 32), "HmacSHA256");
    }

    /**
     * A keyed hash (HMAC-SHA256 under a key derived from the secret key) for naming data that holds
     * secrets without storing them: the same input gives the same fingerprint on every node that
     * shares the key, and no one without the key can test guesses of the secrets against it.
     */
    public Mac fingerprinter() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(fingerprintKey);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Every JDK has HmacSHA256", e);
        }
    }

    /**
     * Seals {@code plaintext} in the current format, bound to {@code aad}: it opens only with the
     * same associated data.
     */
    public byte[] seal(byte[] plaintext, byte[] aad) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
            cipher.updateAAD(new byte[] {CURRENT});
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(plaintext);
            return ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length).put(CURRENT).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Could not encrypt a secret", e);
        }
    }

    /**
     * Opens a value of either format. Format 1 predates associated data, so {@code aad} cannot be
     * checked for it: callers re-seal such values ({@link #isCurrent}) to get the binding.
     *
     * @throws UnreadableSecretException when the value does not open with this key and {@code aad}
     */
    public byte[] open(byte[] sealed, byte[] aad) {
        if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || (sealed[0] != CURRENT && sealed[0] != LEGACY)) {
            throw new UnreadableSecretException("Not a sealed secret of a known format", null);
        }
        boolean current = sealed[0] == CURRENT;
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, current ? key : legacyKey,
                    new GCMParameterSpec(TAG_BYTES * 8, sealed, 1, NONCE_BYTES));
            if (current) {
                cipher.updateAAD(sealed, 0, 1);
                cipher.updateAAD(aad);
            }
            return cipher.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new UnreadableSecretException("Could not decrypt a secret: another POLLSTER_SECRET_KEY, or a value"
                    + " altered or copied from elsewhere", e);
        }
    }

    /** True when {@code sealed} is in the format {@link #seal} writes, bound to its associated data. */
    public static boolean isCurrent(byte[] sealed) {
        return sealed.length > 0 && sealed[0] == CURRENT;
    }
}
