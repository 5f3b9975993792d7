package io.pollster.paging;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.job.JobService;
import io.pollster.job.JobSpec;
import io.pollster.system.PollsterProperties;
import io.pollster.system.web.ApiException;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import io.pollster.user.Caller;
import io.pollster.version.BodyCodec;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A job's runs ({@code /jobs/{id}/runs}) and items ({@code /jobs/{id}/items}); 404 unless the caller's. */
@RestController
@RequestMapping("/api/v1/jobs/{jobId}")
class RunController {

    private static final int FAILED_PAGES_SHOWN = 100;

    private final JobService jobs;
    private final Runs runs;
    private final ItemStore items;
    private final JsonMapper json;
    private final long maxBody;

    RunController(JobService jobs, Runs runs, ItemStore items, JsonMapper json, PollsterProperties properties) {
        this.jobs = jobs;
        this.runs = runs;
        this.items = items;
        this.json = json;
        this.maxBody = properties.maxBodySize().toBytes();
    }

    record Pages(Integer total, int planned, int done, int failed) {
    }

    record ItemCounts(int created, int changed) {
    }

    record RunView(UUID id, Instant startedAt, Instant finishedAt, String status, Pages pages, String pagination,
                   ItemCounts items, String note, String error) {

        static RunView of(RunState run) {
            return new RunView(run.id, run.startedAt, run.finishedAt, run.status,
                    new Pages(run.total, run.planned, run.done, run.failed), run.pagination,
                    new ItemCounts(run.itemsCreated, run.itemsChanged), run.note, run.error);
        }
    }

    record RunDetail(UUID id, Instant startedAt, Instant finishedAt, String status, Pages pages, String pagination,
                     JobSpec.Pagination settings, ItemCounts items, String note, String error,
                     List<Runs.FailedPage> failedPages) {
    }

    @GetMapping("/runs")
    Page<RunView> list(Caller caller, @PathVariable UUID jobId, @RequestParam(required = false) Integer limit,
                       @RequestParam(required = false) String cursor) {
        jobs.get(caller, new JobId(jobId));
        PageQuery page = PageQuery.of(limit, cursor);
        UUID before = page.after() == null ? null : page.afterId();
        return Page.of(runs.page(jobId, before, page.fetchSize()), page, run -> run.id.toString()).map(RunView::of);
    }

    @GetMapping("/runs/{runId}")
    RunDetail run(Caller caller, @PathVariable UUID jobId, @PathVariable UUID runId) {
        jobs.get(caller, new JobId(jobId));
        RunState run = runs.find(jobId, runId).orElseThrow(() -> ApiException.notFound("Run " + runId));
        RunView view = RunView.of(run);
        return new RunDetail(view.id(), view.startedAt(), view.finishedAt(), view.status(), view.pages(), view.pagination(),
                run.settings, view.items(), view.note(), view.error(), runs.failedPages(runId, FAILED_PAGES_SHOWN));
    }

    @GetMapping("/items")
    Page<ItemStore.ItemView> items(Caller caller, @PathVariable UUID jobId, @RequestParam(required = false) Integer limit,
                                   @RequestParam(required = false) String cursor) {
        jobs.get(caller, new JobId(jobId));
        PageQuery page = PageQuery.of(limit, cursor);
        return Page.of(items.page(jobId, page.after(), page.fetchSize()), page, ItemStore.ItemView::key);
    }

    record ItemDetail(String key, String hash, Instant firstSeenAt, Instant lastSeenAt, Instant lastChangedAt,
                      String contentType, Object content) {
    }

    @GetMapping(path = "/items/{key}", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ItemDetail> item(Caller caller, @PathVariable UUID jobId, @PathVariable String key) {
        jobs.get(caller, new JobId(jobId));
        ItemStore.StoredItem item = items.find(jobId, key).orElseThrow(() -> ApiException.notFound("Item " + key));
        byte[] raw = BodyCodec.decompress(item.content(), maxBody);
        Object content;
        try {
            content = json.readTree(raw);
        } catch (RuntimeException notJson) {
            content = new String(raw, java.nio.charset.StandardCharsets.UTF_8);
        }
        ItemStore.ItemView view = item.view();
        return ResponseEntity.ok(new ItemDetail(view.key(), view.hash(), view.firstSeenAt(), view.lastSeenAt(),
                view.lastChangedAt(), item.contentType(), content instanceof JsonNode node ? node : content));
    }
}
