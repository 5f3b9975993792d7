package io.pollster.cache;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.pollster.fetch.FetchResult;

/**
 * The bytes of a shared answer: a 2xx with the headers that matter and its body, or a failure
 * the upstream gave with its status, error and {@code Retry-After}; or the mark that the answer
 * was too large to share ({@link #UNSHARED}). Nothing of the request is kept: no header of it,
 * secret or not.
 */
final class CachedAnswer {

    private static final byte VERSION = 1;
    private static final byte FETCHED = 1;
    private static final byte FAILED = 2;
    private static final byte TOO_LARGE = 3;

    /** The upstream's last answer was larger than an entry may be: each poll asks for itself meanwhile. */
    static final byte[] UNSHARED = {VERSION, TOO_LARGE};

    private CachedAnswer() {
    }

    static byte[] encode(FetchResult result) {
        var bytes = new ByteArrayOutputStream(result instanceof FetchResult.Fetched f ? f.body().length + 256 : 256);
        try (var out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            switch (result) {
                case FetchResult.Fetched f -> {
                    out.writeByte(FETCHED);
                    out.writeInt(f.status());
                    text(out, f.contentType());
                    text(out, f.etag());
                    text(out, f.lastModified());
                    text(out, f.links());
                    out.writeInt(f.body().length);
                    out.write(f.body());
                }
                case FetchResult.Failed f when !f.upstreams() ->
                        throw new IllegalArgumentException("a failure of the caller's own making is never shared: " + f.error());
                case FetchResult.Failed f -> {
                    out.writeByte(FAILED);
                    out.writeInt(f.status() == null ? -1 : f.status());
                    text(out, f.error());
                    out.writeBoolean(f.retryable());
                    out.writeLong(f.retryAfter() == null ? -1 : f.retryAfter().toMillis());
                }
                default -> throw new IllegalArgumentException("only answers of the upstream are shared, not " + result);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static boolean unshared(byte[] bytes) {
        return bytes.length == UNSHARED.length && bytes[0] == VERSION && bytes[1] == TOO_LARGE;
    }

    /** @param took what the poll that reads it spent so far: the answer's duration for that poll */
    static FetchResult decode(byte[] bytes, Duration took) {
        try (var in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
            if (in.readByte() != VERSION) {
                throw new IllegalStateException("a cached answer of an unknown format");
            }
            byte kind = in.readByte();
            if (kind == FETCHED) {
                int status = in.readInt();
                String contentType = text(in);
                String etag = text(in);
                String lastModified = text(in);
                String links = text(in);
                byte[] body = in.readNBytes(in.readInt());
                return new FetchResult.Fetched(status, contentType, etag, lastModified, links, body, took);
            }
            int status = in.readInt();
            String error = text(in);
            boolean retryable = in.readBoolean();
            long retryAfter = in.readLong();
            return new FetchResult.Failed(status < 0 ? null : status, error, retryable,
                    retryAfter < 0 ? null : Duration.ofMillis(retryAfter), took, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void text(DataOutputStream out, String value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String text(DataInputStream in) throws IOException {
        int length = in.readInt();
        return length < 0 ? null : new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
