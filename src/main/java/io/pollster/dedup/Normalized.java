package io.pollster.dedup;

import java.util.HexFormat;
import java.util.Objects;

/**
 * A body as the dedup step sees it.
 *
 * @param mode     the mode actually applied ({@link DedupMode#EXACT} after a fallback)
 * @param content  the normalised bytes; in exact mode this may be the very array that was passed in
 * @param hash     SHA-256 of {@code content}, 32 bytes
 * @param fellBack whether the requested mode could not be applied (a body that is not JSON in json mode,
 *                 a text pattern too expensive for the body) so the raw bytes were used instead
 */
public record Normalized(DedupMode mode, byte[] content, byte[] hash, boolean fellBack) {

    public Normalized {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(hash, "hash");
        if (hash.length != 32) {
            throw new IllegalArgumentException("hash must be a 32-byte SHA-256, got " + hash.length + " bytes");
        }
    }

    /** The hash as 64 lower-case hex digits. */
    public String hashHex() {
        return HexFormat.of().formatHex(hash);
    }

    @Override
    public String toString() {
        return "Normalized[mode=" + mode + ", size=" + content.length + ", hash=" + hashHex() + ", fellBack=" + fellBack + "]";
    }
}
