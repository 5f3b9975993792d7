package io.pollster.poll;

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

/** {@code GET /jobs/{id}/polls}: the open entry first, then closed ones, newest first. */
@RestController
@RequestMapping("/api/v1/jobs/{jobId}/polls")
class PollHistoryController {

    private final JobService jobs;
    private final PollHistory history;

    PollHistoryController(JobService jobs, PollHistory history) {
        this.jobs = jobs;
        this.history = history;
    }

    @GetMapping
    Page<PollHistory.PollView> list(Caller caller, @PathVariable UUID jobId, @RequestParam(required = false) Integer limit,
                                    @RequestParam(required = false) String cursor) {
        jobs.get(caller, new JobId(jobId));
        PageQuery page = PageQuery.of(limit, cursor);
        long before = page.afterNumber(Long.MAX_VALUE);
        return Page.of(history.page(jobId, before, page.fetchSize()), page, r -> Long.toString(r.rank()))
                .map(PollHistory.Ranked::view);
    }
}
