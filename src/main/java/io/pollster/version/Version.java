package io.pollster.version;

import java.time.Instant;
import java.util.UUID;

public record Version(UUID id, UUID jobId, byte[] hash, Instant fetchedAt, int httpStatus, String contentType, long size) {
}
