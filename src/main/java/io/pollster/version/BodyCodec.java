package io.pollster.version;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The stored form of a response body: one format byte, then the payload.
 *
 * <ul>
 *   <li>{@code 0x00}: the raw bytes, for bodies that compression does not shrink (images, archives, tiny bodies);</li>
 *   <li>{@code 0x01}: zlib (RFC 1950) at {@link Deflater#BEST_SPEED}, whose Adler-32 trailer also catches a
 *       corrupted row.</li>
 * </ul>
 * Fastest deflate level, because bodies are compressed on the poll path and API responses are repetitive
 * enough that higher levels gain little. Formats are never renumbered: stored rows outlive releases.
 */
public final class BodyCodec {

    static final byte RAW = 0x00;
    static final byte ZLIB = 0x01;

    // why: below this deflate's header and trailer outweigh anything it could save
    private static final int MIN_COMPRESSIBLE = 64;

    private BodyCodec() {
    }

    /** The stored form of {@code raw}: compressed when that makes it smaller, else raw. */
    public static byte[] compress(byte[] raw) {
        Objects.requireNonNull(raw, "raw");
        if (raw.length >= MIN_COMPRESSIBLE) {
            byte[] zlib = deflate(raw);
            if (zlib != null) {
                return zlib;
            }
        }
        byte[] stored = new byte[raw.length + 1];
        stored[0] = RAW;
        System.arraycopy(raw, 0, stored, 1, raw.length);
        return stored;
    }

    /**
     * The body that {@link #compress(byte[])} stored.
     *
     * @throws BodyTooLargeException    when it is longer than {@code maxSize} bytes (checked while inflating, so a
     *                                  compression bomb costs no more than {@code maxSize} of memory)
     * @throws IllegalArgumentException when {@code stored} is not something {@code compress} produced
     */
    public static byte[] decompress(byte[] stored, long maxSize) {
        Objects.requireNonNull(stored, "stored");
        if (stored.length == 0) {
            throw new IllegalArgumentException("Stored body is empty; it lacks even its format byte");
        }
        return switch (stored[0]) {
            case RAW -> {
                if (stored.length - 1L > maxSize) {
                    throw new BodyTooLargeException(maxSize);
                }
                yield Arrays.copyOfRange(stored, 1, stored.length);
            }
            case ZLIB -> inflate(stored, maxSize);
            default -> throw new IllegalArgumentException("Stored body has unknown format byte " + stored[0]);
        };
    }

    /** The zlib form with its format byte, or {@code null} when it is no smaller than storing raw. */
    private static byte[] deflate(byte[] raw) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            deflater.setInput(raw);
            deflater.finish();
            // why: the output is worth keeping only if it beats raw, so it never needs more room than raw has
            byte[] out = new byte[raw.length];
            out[0] = ZLIB;
            int length = 1;
            while (!deflater.finished()) {
                if (length == out.length) {
                    return null;
                }
                length += deflater.deflate(out, length, out.length - length);
            }
            return Arrays.copyOf(out, length);
        } finally {
            deflater.end();
        }
    }

    private static byte[] inflate(byte[] stored, long maxSize) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(stored, 1, stored.length - 1);
            ByteArrayOutputStream out = new ByteArrayOutputStream(
                    (int) Math.min(Math.max(maxSize, 0), Math.min(4L * stored.length, 1 << 20)));
            byte[] buffer = new byte[16 * 1024];
            long total = 0;
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new IllegalArgumentException("Stored body is corrupt: its compressed data ends early");
                }
                total += n;
                if (total > maxSize) {
                    throw new BodyTooLargeException(maxSize);
                }
                out.write(buffer, 0, n);
            }
            if (inflater.getRemaining() > 0) {
                throw new IllegalArgumentException("Stored body is corrupt: data follows its compressed stream");
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("Stored body is corrupt: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }
}
