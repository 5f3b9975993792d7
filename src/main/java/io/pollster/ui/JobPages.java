package io.pollster.ui;

import java.util.Map;
import java.util.UUID;

import io.pollster.system.ViewWork;
import io.pollster.user.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.util.UriComponentsBuilder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The jobs list, the job form, a job's page and its actions. */
@Controller
class JobPages {

    private static final int JOBS_PER_PAGE = 25;

    private final InProcessApi api;
    private final JsonMapper json;
    private final Diffs diffs;
    private final ViewWork views;

    JobPages(InProcessApi api, JsonMapper json, Diffs diffs, ViewWork views) {
        this.api = api;
        this.json = json;
        this.diffs = diffs;
        this.views = views;
    }

    @GetMapping("/")
    String jobs(@RequestParam(required = false) String status, @RequestParam(required = false) String q,
                @RequestParam(required = false) String cursor, HttpServletRequest request, Model model) {
        String path = UriComponentsBuilder.fromPath("/api/v1/jobs")
                .queryParam("limit", JOBS_PER_PAGE)
                .queryParamIfPresent("status", InProcessApi.param(status))
                .queryParamIfPresent("q", InProcessApi.param(q))
                .queryParamIfPresent("cursor", InProcessApi.param(cursor))
                .encode().build().toUriString();
        InProcessApi.Answer page = api.get(request, path).orFail();
        model.addAttribute("page", page.value());
        model.addAttribute("status", status == null ? "" : status);
        model.addAttribute("q", q == null ? "" : q);
        model.addAttribute("filtered", (status != null && !status.isBlank()) || (q != null && !q.isBlank()));
        return "jobs";
    }

    @GetMapping("/jobs/new")
    String newJob(Model model) {
        model.addAttribute("form", new JobForm());
        model.addAttribute("errors", Map.of());
        return "job-form";
    }

    @PostMapping("/jobs")
    String create(@RequestParam Map<String, String> fields, HttpServletRequest request, HttpServletResponse response, Model model) {
        JobForm form = JobForm.from(fields);
        InProcessApi.Answer created;
        try {
            created = api.send(request, "POST", "/api/v1/jobs", form.request(null, json));
        } catch (JobForm.Invalid invalid) {
            return refused(form, null, "Some fields cannot be read.", invalid.errors, response, model);
        }
        if (!created.ok()) {
            return refused(form, null, created.problem(), created.fieldErrors(), response, model);
        }
        return "redirect:/jobs/" + created.tree().path("id").asString();
    }

    @GetMapping("/jobs/{id}/edit")
    String edit(@PathVariable UUID id, HttpServletRequest request, Model model) {
        model.addAttribute("form", JobForm.of(job(request, id), json));
        model.addAttribute("jobId", id);
        model.addAttribute("errors", Map.of());
        return "job-form";
    }

    @PostMapping("/jobs/{id}/edit")
    String update(@PathVariable UUID id, @RequestParam Map<String, String> fields, HttpServletRequest request,
                  HttpServletResponse response, Model model) {
        JobForm form = JobForm.from(fields);
        InProcessApi.Answer patched;
        try {
            patched = api.send(request, "PATCH", "/api/v1/jobs/" + id, form.request(job(request, id), json));
        } catch (JobForm.Invalid invalid) {
            return refused(form, id, "Some fields cannot be read.", invalid.errors, response, model);
        }
        if (!patched.ok()) {
            return refused(form, id, patched.problem(), patched.fieldErrors(), response, model);
        }
        return "redirect:/jobs/" + id;
    }

    private static String refused(JobForm form, UUID id, String message, Map<String, String> errors,
                                  HttpServletResponse response, Model model) {
        response.setStatus(400);
        model.addAttribute("form", form);
        model.addAttribute("jobId", id);
        model.addAttribute("message", message);
        model.addAttribute("errors", errors);
        return "job-form";
    }

    @GetMapping("/jobs/{id}")
    String job(@PathVariable UUID id, HttpServletRequest request, Model model) {
        JsonNode job = job(request, id);
        model.addAttribute("paginated", job.hasNonNull("pagination"));
        live(id, job, request, model);
        model.addAttribute("events", optional(request, "/api/v1/jobs/" + id + "/events?limit=20"));
        if (job.hasNonNull("pagination")) {
            model.addAttribute("runs", optional(request, "/api/v1/jobs/" + id + "/runs?limit=10"));
            model.addAttribute("items", optional(request, "/api/v1/jobs/" + id + "/items?limit=50"));
        }
        return "job";
    }

    /** The parts of a job's page that change while it is watched: refreshed in place. */
    @GetMapping("/jobs/{id}/live")
    String live(@PathVariable UUID id, HttpServletRequest request, Model model) {
        live(id, job(request, id), request, model);
        return "job-live :: live";
    }

    private void live(UUID id, JsonNode job, HttpServletRequest request, Model model) {
        model.addAttribute("job", TemplateValues.of(job));
        model.addAttribute("jobId", id);
        // a paginated job keeps items, not versions
        model.addAttribute("versions", job.hasNonNull("pagination") ? null
                : api.get(request, "/api/v1/jobs/" + id + "/versions?limit=100").orFail().value());
        model.addAttribute("polls", optional(request, "/api/v1/jobs/" + id + "/polls?limit=20"));
    }

    @GetMapping("/jobs/{id}/versions/{versionId}")
    String version(@PathVariable UUID id, @PathVariable UUID versionId, HttpServletRequest request, Model model) {
        model.addAttribute("job", TemplateValues.of(job(request, id)));
        InProcessApi.Answer version = api.get(request, "/api/v1/jobs/" + id + "/versions/" + versionId).orFail();
        InProcessApi.Answer content = api.get(request, "/api/v1/jobs/" + id + "/versions/" + versionId + "/content").orFail();
        model.addAttribute("version", version.value());
        UUID owner = Caller.of(request).map(c -> c.userId() == null ? null : c.userId().value()).orElse(null);
        // why: pretty-printing a large body is CPU work that must not hold a carrier
        model.addAttribute("content", views.call(owner, () -> Contents.readable(content.body(), content.contentType(), json)));
        return "version";
    }

    @GetMapping("/jobs/{id}/diff")
    String diff(@PathVariable UUID id, @RequestParam(required = false) UUID from, @RequestParam(required = false) UUID to,
                HttpServletRequest request, Model model) {
        model.addAttribute("job", TemplateValues.of(job(request, id)));
        InProcessApi.Answer versions = api.get(request, "/api/v1/jobs/" + id + "/versions?limit=100").orFail();
        JsonNode list = versions.tree().path("items");
        model.addAttribute("versions", TemplateValues.of(list));
        if (list.size() < 2) {
            model.addAttribute("diff", null);
            return "diff";
        }
        UUID newer = to != null ? to : UUID.fromString(list.get(0).path("id").asString());
        UUID older = from != null ? from : UUID.fromString(list.get(1).path("id").asString());
        model.addAttribute("from", older);
        model.addAttribute("to", newer);
        model.addAttribute("diff", diffs.between(request, id, older, newer));
        return "diff";
    }

    @PostMapping("/jobs/{id}/{action:stop|start|run}")
    String act(@PathVariable UUID id, @PathVariable String action, HttpServletRequest request) {
        api.send(request, "POST", "/api/v1/jobs/" + id + "/" + action, null).orFail();
        return "redirect:/jobs/" + id;
    }

    @PostMapping("/jobs/{id}/delete")
    String delete(@PathVariable UUID id, HttpServletRequest request) {
        api.send(request, "DELETE", "/api/v1/jobs/" + id, null).orFail();
        return "redirect:/";
    }

    private JsonNode job(HttpServletRequest request, UUID id) {
        return api.get(request, "/api/v1/jobs/" + id).orFail().tree();
    }

    /** A list the page shows when it can; a part that fails shows as empty rather than failing the page. */
    private Object optional(HttpServletRequest request, String path) {
        InProcessApi.Answer answer = api.get(request, path);
        return answer.ok() ? answer.value() : null;
    }
}
