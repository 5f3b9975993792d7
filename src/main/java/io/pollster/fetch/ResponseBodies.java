package io.pollster.fetch;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.PushbackInputStream;
import java.time.Duration;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

import io.pollster.system.memory.ByteBudget;

/**
 * Reads response bodies, bounded: decodes only the codings Pollster asks for
 * ({@value #ACCEPT_ENCODING}), and never holds more than the size limit — counted after decoding,
 * so a small compressed bomb stops at the limit too. The buffer grows as bytes arrive instead of
 * trusting a declared length, and every byte it holds is first reserved from the process's budget
 * of bytes in flight ({@link ByteBudget}): twice what was read, for the growing buffer and the
 * body copied out of it. When the budget stays short the read stops with {@link OutOfBudget}
 * rather than growing the heap.
 */
final class ResponseBodies {

    /** What every request asks for; anything else an upstream sends is refused, not decoded. */
    static final String ACCEPT_ENCODING = "gzip, deflate";

    private static final int INITIAL_BUFFER = 8192;
    private static final int MAX_INITIAL_BUFFER = 64 * 1024;
    /** The budget is asked for at least this much at a time, so a large body costs few waits. */
    static final long GROW_STEP = 256 * 1024;
    /** How long a read waits for its budget to grow before it gives up and is tried again later. */
    static final Duration GROW_WAIT = Duration.ofSeconds(2);

    private final long maxBytes;

    ResponseBodies(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The budget of bytes in flight stayed too short for this body. */
    static final class OutOfBudget extends IOException {
        OutOfBudget() {
            super("Pollster's budget of bytes in flight (pollster.memory.in-flight) was taken", null);
        }
    }

    /** A body in a coding Pollster did not ask for. */
    static final class UnsupportedEncodingException extends IOException {
        UnsupportedEncodingException(String coding) {
            super("the upstream answered with Content-Encoding " + coding + ", which Pollster did not ask for (it accepts "
                    + ACCEPT_ENCODING + ")");
        }
    }

    /**
     * The decoded body, or {@code null} once it passes the limit (the rest is not read).
     *
     * @param budget the poll's reservation, grown as the body arrives
     * @throws OutOfBudget when the reservation could not grow within {@link #GROW_WAIT}
     */
    byte[] read(InputStream raw, String contentEncoding, long declaredLength, ByteBudget.Reservation budget)
            throws IOException {
        if (raw == null) {
            return new byte[0];
        }
        // a declared length is trusted with nothing, not even a reservation: an upstream that
        // declares 10 MiB and then goes quiet holds only what it sent
        // why: closing the client's stream would read the rest of the body, however large; closing the decoder
        // must only free its inflater, so the decoder gets a view of the stream that ignores close()
        try (InputStream in = decoding(new FilterInputStream(raw) {
            @Override
            public void close() {
            }
        }, contentEncoding)) {
            int initial = (int) Math.min(MAX_INITIAL_BUFFER, declaredLength > 0 ? declaredLength : INITIAL_BUFFER);
            cover(budget, initial);
            var out = new ByteArrayOutputStream(initial);
            byte[] buffer = new byte[INITIAL_BUFFER];
            long total = 0;
            for (int n; (n = in.read(buffer)) != -1; ) {
                total += n;
                if (total > maxBytes) {
                    return null;
                }
                cover(budget, 2 * total);
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        }
    }

    /** Makes sure the reservation covers {@code bytes}, growing it by at least a step at a time. */
    private static void cover(ByteBudget.Reservation budget, long bytes) throws IOException {
        long missing = bytes - budget.bytes();
        if (missing <= 0) {
            return;
        }
        try {
            if (!budget.grow(Math.max(missing, GROW_STEP), GROW_WAIT) && !budget.grow(missing, Duration.ZERO)) {
                throw new OutOfBudget();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for memory");
        }
    }

    private static InputStream decoding(InputStream raw, String contentEncoding) throws IOException {
        String coding = contentEncoding == null ? "" : contentEncoding.strip().toLowerCase(Locale.ROOT);
        return switch (coding) {
            case "", "identity" -> raw;
            case "gzip", "x-gzip" -> new GZIPInputStream(raw, INITIAL_BUFFER);
            case "deflate" -> deflate(raw);
            default -> throw new UnsupportedEncodingException(contentEncoding.strip());
        };
    }

    /** "deflate" is meant to be zlib-wrapped, but servers send raw deflate too: the first two bytes tell. */
    private static InputStream deflate(InputStream raw) throws IOException {
        var in = new PushbackInputStream(raw, 2);
        int first = in.read();
        int second = first < 0 ? -1 : in.read();
        if (second >= 0) {
            in.unread(second);
        }
        if (first >= 0) {
            in.unread(first);
        }
        boolean zlib = first >= 0 && second >= 0 && (first & 0x0f) == 8 && ((first << 8) | second) % 31 == 0;
        Inflater inflater = new Inflater(!zlib);
        return new InflaterInputStream(in, inflater, INITIAL_BUFFER) {
            @Override
            public void close() throws IOException {
                super.close();
                inflater.end(); // why: a caller-supplied inflater is not ended by the stream; its native memory would wait for GC
            }
        };
    }
}
