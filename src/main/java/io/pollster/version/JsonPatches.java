package io.pollster.version;

import java.util.Optional;
import java.util.UUID;

import io.pollster.version.content.Diff;
import io.pollster.version.content.Differ;
import org.springframework.stereotype.Component;

/**
 * The JSON Patch (RFC 6902) from a job's stored version to a new body, for the event that reports
 * the new version: when both are JSON, within the diff's limits, and the patch is small enough to
 * travel in an event.
 */
@Component
public class JsonPatches {

    /** Larger patches are left out of events; the versions' diff endpoint still shows them. */
    public static final int MAX_PATCH_CHARS = 256 * 1024;

    private final VersionRepository versions;
    private final Differ differ = new Differ();

    JsonPatches(VersionRepository versions) {
        this.versions = versions;
    }

    /**
     * @param previousHash the hash of the job's version the new body follows (null for its first)
     * @return the patch as JSON text; empty when there is no previous version, either side is not
     *         JSON, or the patch would be too large
     */
    public Optional<String> between(UUID jobId, byte[] previousHash, byte[] body, String contentType) {
        if (previousHash == null || body.length > Differ.MAX_INPUT_BYTES) {
            return Optional.empty();
        }
        try {
            return versions.body(jobId, previousHash)
                    .map(stored -> BodyCodec.decompress(stored, Differ.MAX_INPUT_BYTES))
                    .map(previous -> differ.diff(previous, body, contentType))
                    .filter(diff -> diff instanceof Diff.JsonPatch patch && patch.patch().length() <= MAX_PATCH_CHARS)
                    .map(diff -> ((Diff.JsonPatch) diff).patch());
        } catch (BodyTooLargeException e) {
            return Optional.empty(); // the previous version is beyond what a diff takes
        }
    }
}
