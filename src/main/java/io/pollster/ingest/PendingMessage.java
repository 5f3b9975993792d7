package io.pollster.ingest;

import java.util.concurrent.CompletableFuture;

/** A message on its way through a shard's pool: taken by a worker, processed, written in a batch file. */
final class PendingMessage {

    final byte[] message;
    final CompletableFuture<Void> started = new CompletableFuture<>();
    final CompletableFuture<Void> processed = new CompletableFuture<>();
    final CompletableFuture<Void> written = new CompletableFuture<>();
    volatile boolean abandoned;
    /** When a worker took it ({@link System#nanoTime()}), set before {@link #started} completes. */
    volatile long startedNanos;
    byte[] line;

    PendingMessage(byte[] message) {
        this.message = message;
    }

    /** The caller gave up on it (processing timeout): it is retried from the queue instead. */
    void abandon() {
        abandoned = true;
    }

    /** Why a message failed: its processing threw an {@link Error}. */
    static final class ProcessingError extends Exception {
        ProcessingError(Throwable error) {
            super("processing failed with " + error, error);
        }
    }

    /** Why a message left the pool unprocessed: the pool stopped. Its queue entry is delivered again. */
    static final class Stopping extends IllegalStateException {
        Stopping() {
            super("the shard's pool is shutting down");
        }
    }
}
