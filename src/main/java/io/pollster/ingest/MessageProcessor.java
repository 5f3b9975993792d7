package io.pollster.ingest;

/**
 * The per-message step between the queue and the batch file: turns a queued message into the
 * line that is written. The standard one writes the message as it was accepted; it is the seam
 * for transformations (and lets tests make processing slow).
 */
public interface MessageProcessor {

    byte[] process(byte[] message) throws Exception;
}
