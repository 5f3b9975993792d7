package io.pollster.version;

/** A stored body would decompress to more than the caller allows. */
public final class BodyTooLargeException extends RuntimeException {

    private final long maxSize;

    public BodyTooLargeException(long maxSize) {
        super("Stored body is larger than the allowed " + maxSize + " bytes");
        this.maxSize = maxSize;
    }

    /** The limit that was exceeded, in bytes. */
    public long maxSize() {
        return maxSize;
    }
}
