package io.pollster.version;

import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import io.pollster.job.JobId;
import io.pollster.job.JobService;
import io.pollster.system.PollsterProperties;
import io.pollster.system.ViewWork;
import io.pollster.system.web.ApiException;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import io.pollster.user.Caller;
import io.pollster.version.content.Diff;
import io.pollster.version.content.Differ;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/jobs/{jobId}")
class VersionController {

    private static final UUID AFTER_ALL = new UUID(-1L, -1L);

    private final JobService jobs;
    private final VersionRepository versions;
    private final Differ differ = new Differ();
    private final long maxBodySize;
    private final ViewWork views;

    VersionController(JobService jobs, VersionRepository versions, PollsterProperties properties, ViewWork views) {
        this.jobs = jobs;
        this.views = views;
        this.versions = versions;
        this.maxBodySize = properties.maxBodySize().toBytes();
    }

    @GetMapping("/versions")
    Page<VersionView> list(Caller caller, @PathVariable UUID jobId, @RequestParam(required = false) Integer limit,
                           @RequestParam(required = false) String cursor) {
        jobs.get(caller, new JobId(jobId));
        PageQuery page = PageQuery.of(limit, cursor);
        UUID before = page.after() == null ? AFTER_ALL : page.afterId();
        return Page.of(versions.findPage(jobId, before, page.fetchSize()), page, v -> v.id().toString()).map(VersionView::of);
    }

    @GetMapping("/versions/{versionId}")
    VersionView get(Caller caller, @PathVariable UUID jobId, @PathVariable UUID versionId) {
        jobs.get(caller, new JobId(jobId));
        return VersionView.of(version(jobId, versionId));
    }

    @GetMapping("/versions/{versionId}/content")
    ResponseEntity<byte[]> content(Caller caller, @PathVariable UUID jobId, @PathVariable UUID versionId) {
        jobs.get(caller, new JobId(jobId));
        return content(version(jobId, versionId));
    }

    @GetMapping("/latest")
    ResponseEntity<byte[]> latest(Caller caller, @PathVariable UUID jobId) {
        jobs.get(caller, new JobId(jobId));
        return content(versions.findLatest(jobId).orElseThrow(() -> ApiException.notFound("A version of job " + jobId)));
    }

    @GetMapping("/versions/{versionId}/diff")
    DiffView diff(Caller caller, @PathVariable UUID jobId, @PathVariable UUID versionId,
                  @RequestParam(required = false) UUID against) {
        jobs.get(caller, new JobId(jobId));
        Version newer = version(jobId, versionId);
        Version older = against != null
                ? version(jobId, against)
                : versions.findPrevious(jobId, versionId).orElseThrow(() -> ApiException.notFound(
                        "A version before " + versionId + " (give ?against= to compare with another)"));
        byte[] olderBody = body(older);
        byte[] newerBody = body(newer);
        // why: comparing two large bodies takes up to a second of CPU; on the request's virtual thread it would
        // hold a carrier that every other request needs
        Diff diff = views.call(caller.userId() == null ? null : caller.userId().value(),
                () -> differ.diff(olderBody, newerBody, newer.contentType()));
        return switch (diff) {
            case Diff.JsonPatch patch -> new DiffView("json-patch", patch.patch(), null);
            case Diff.Unified unified -> new DiffView("unified", null, unified.diff());
        };
    }

    private Version version(UUID jobId, UUID versionId) {
        return versions.find(jobId, versionId).orElseThrow(() -> ApiException.notFound("Version " + versionId));
    }

    private byte[] body(Version version) {
        byte[] stored = versions.body(version.jobId(), version.hash())
                .orElseThrow(() -> ApiException.notFound("The body of version " + version.id() + " (pruned)"));
        return BodyCodec.decompress(stored, maxBodySize);
    }

    private ResponseEntity<byte[]> content(Version version) {
        MediaType type;
        try {
            type = version.contentType() == null ? MediaType.APPLICATION_OCTET_STREAM : MediaType.parseMediaType(version.contentType());
        } catch (IllegalArgumentException e) {
            type = MediaType.APPLICATION_OCTET_STREAM;
        }
        return ResponseEntity.ok()
                .contentType(type)
                .header("X-Pollster-Version-Id", version.id().toString())
                .header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", "sandbox")
                .body(body(version));
    }

    record VersionView(UUID id, Instant fetchedAt, String hash, int httpStatus, String contentType, long size) {
        static VersionView of(Version v) {
            return new VersionView(v.id(), v.fetchedAt(), HexFormat.of().formatHex(v.hash()), v.httpStatus(),
                    v.contentType(), v.size());
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DiffView(String format, @JsonRawValue String patch, String diff) {
    }
}
