package io.pollster.job;

import java.net.URI;
import java.util.Locale;
import java.util.List;
import java.util.UUID;

import io.pollster.system.web.ApiException;
import io.pollster.system.web.PageQuery;
import io.pollster.user.Caller;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@RestController
@RequestMapping("/api/v1/jobs")
class JobController {

    private static final int MAX_SEARCH = 200;

    private final JobService jobs;
    private final OutputStates outputs;
    private final RunProgress runs;
    private final JsonMapper json;

    JobController(JobService jobs, OutputStates outputs, RunProgress runs, JsonMapper json) {
        this.jobs = jobs;
        this.runs = runs;
        this.outputs = outputs;
        this.json = json;
    }

    /** One job, with the outputs its receivers stopped and the progress of its run. */
    private JobView one(Job job) {
        return JobView.of(job, job.spec().outputs().isEmpty() ? List.of() : outputs.stopped(job.id().value()),
                job.spec().pagination() == null ? null : runs.current(job.id().value()).orElse(null));
    }

    @PostMapping
    ResponseEntity<JobView> create(Caller caller, @RequestBody JobRequest request) {
        Job job = jobs.create(caller, request);
        return ResponseEntity.created(URI.create("/api/v1/jobs/" + job.id())).body(one(job));
    }

    /**
     * Written to JSON while the page's bytes are reserved: the definitions are gone once it is done.
     * {@code q} keeps the jobs whose name or URL contains it, in any case.
     */
    @GetMapping
    ResponseEntity<byte[]> list(Caller caller, @RequestParam(required = false) String status,
                                @RequestParam(required = false) String q,
                                @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        if (q != null && q.length() > MAX_SEARCH) {
            throw ApiException.invalid("q", "must be at most " + MAX_SEARCH + " characters");
        }
        byte[] page = jobs.list(caller, status(status), q, PageQuery.of(limit, cursor),
                jobsPage -> json.writeValueAsBytes(jobsPage.map(JobView::of)));
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(page);
    }

    @GetMapping("/{id}")
    JobView get(Caller caller, @PathVariable UUID id) {
        return one(jobs.get(caller, new JobId(id)));
    }

    @PatchMapping(path = "/{id}", consumes = {"application/merge-patch+json", "application/json"})
    JobView patch(Caller caller, @PathVariable UUID id, @RequestBody JsonNode patch) {
        return one(jobs.patch(caller, new JobId(id), patch));
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(Caller caller, @PathVariable UUID id) {
        jobs.delete(caller, new JobId(id));
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{id}/stop")
    JobView stop(Caller caller, @PathVariable UUID id) {
        return one(jobs.stop(caller, new JobId(id)));
    }

    @PostMapping("/{id}/start")
    JobView start(Caller caller, @PathVariable UUID id) {
        return one(jobs.start(caller, new JobId(id)));
    }

    @PostMapping("/{id}/run")
    ResponseEntity<Void> run(Caller caller, @PathVariable UUID id) {
        jobs.runNow(caller, new JobId(id));
        return ResponseEntity.accepted().build();
    }

    private static JobStatus status(String status) {
        if (status == null || status.isBlank()) {
            return null;
        }
        try {
            return JobStatus.valueOf(status.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("status", "must be active or stopped");
        }
    }
}
