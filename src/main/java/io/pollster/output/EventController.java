package io.pollster.output;

import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.job.JobService;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import io.pollster.user.Caller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /jobs/{id}/events}: the job's events, oldest first, each with its deliveries' state. */
@RestController
@RequestMapping("/api/v1/jobs/{jobId}/events")
class EventController {

    private final JobService jobs;
    private final EventLog events;

    EventController(JobService jobs, EventLog events) {
        this.jobs = jobs;
        this.events = events;
    }

    @GetMapping
    Page<EventLog.EventView> list(Caller caller, @PathVariable UUID jobId, @RequestParam(required = false) Integer limit,
                                  @RequestParam(required = false) String cursor) {
        jobs.get(caller, new JobId(jobId)); // 404 unless the caller's (or the admin asks)
        PageQuery page = PageQuery.of(limit, cursor);
        long after = page.afterNumber(0);
        return Page.of(events.page(jobId, after, page.fetchSize()), page, e -> Long.toString(e.seq()));
    }
}
