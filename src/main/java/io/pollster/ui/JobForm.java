package io.pollster.ui;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The job form: the fields most jobs need as inputs, everything else (pagination, outputs, cache,
 * secret headers, retry…) as one JSON object, so the form can say whatever the API accepts. It
 * turns into the API's JSON; the API alone decides what is valid.
 */
final class JobForm {

    /** The fields with inputs of their own; the rest of a definition goes in {@link #more}. */
    static final Set<String> OWN_FIELDS = Set.of("name", "url", "method", "interval", "cron", "timeout", "headers", "body", "active");
    private static final Set<String> VIEW_ONLY = Set.of("id", "owner", "status", "effectiveInterval", "nextRunAt", "lastRunAt",
            "lastOutcome", "stale", "stats", "createdAt", "updatedAt", "stoppedOutputs", "run");

    String name = "";
    String url = "";
    String method = "GET";
    String interval = "";
    String cron = "";
    String timeout = "";
    String headers = "";
    String body = "";
    String ignorePaths = "";
    String more = "";
    boolean active = true;

    // Thymeleaf reads the form through getters
    public String getName() { return name; }
    public String getUrl() { return url; }
    public String getMethod() { return method; }
    public String getInterval() { return interval; }
    public String getCron() { return cron; }
    public String getTimeout() { return timeout; }
    public String getHeaders() { return headers; }
    public String getBody() { return body; }
    public String getIgnorePaths() { return ignorePaths; }
    public String getMore() { return more; }
    public boolean isActive() { return active; }

    static JobForm from(Map<String, String> fields) {
        JobForm form = new JobForm();
        form.name = fields.getOrDefault("name", "");
        form.url = fields.getOrDefault("url", "");
        form.method = fields.getOrDefault("method", "GET");
        form.interval = fields.getOrDefault("interval", "");
        form.cron = fields.getOrDefault("cron", "");
        form.timeout = fields.getOrDefault("timeout", "");
        form.headers = fields.getOrDefault("headers", "");
        form.body = fields.getOrDefault("body", "");
        form.ignorePaths = fields.getOrDefault("ignorePaths", "");
        form.more = fields.getOrDefault("more", "");
        form.active = fields.containsKey("active");
        return form;
    }

    /** The form of a job as the API shows it: secrets stay masked ("***" keeps them when sent back). */
    static JobForm of(JsonNode job, JsonMapper json) {
        JobForm form = new JobForm();
        form.name = job.path("name").asString("");
        form.url = job.path("url").asString("");
        form.method = job.path("method").asString("GET");
        form.interval = job.path("interval").asString("");
        form.cron = job.path("cron").asString("");
        form.timeout = job.path("timeout").asString("");
        StringBuilder headerLines = new StringBuilder();
        job.path("headers").properties().forEach(h -> headerLines.append(h.getKey()).append(": ").append(h.getValue().asString()).append('\n'));
        form.headers = headerLines.toString();
        JsonNode body = job.path("body");
        form.body = body.isMissingNode() || body.isNull() ? "" : body.isString() ? body.asString() : json.writerWithDefaultPrettyPrinter().writeValueAsString(body);
        StringBuilder paths = new StringBuilder();
        job.path("dedup").path("ignorePaths").forEach(p -> paths.append(p.asString()).append('\n'));
        form.ignorePaths = paths.toString();
        ObjectNode more = JsonNodeFactory.instance.objectNode();
        job.properties().forEach(field -> {
            if (!OWN_FIELDS.contains(field.getKey()) && !VIEW_ONLY.contains(field.getKey()) && !field.getValue().isNull()) {
                more.set(field.getKey(), field.getValue());
            }
        });
        if (more.get("dedup") instanceof ObjectNode dedup) {
            dedup.remove("ignorePaths");
            if (dedup.isEmpty()) {
                more.remove("dedup");
            }
        }
        if (more.path("outputs").isArray() && more.path("outputs").isEmpty()) {
            more.remove("outputs");
        }
        form.more = more.isEmpty() ? "" : json.writerWithDefaultPrettyPrinter().writeValueAsString(more);
        form.active = "active".equals(job.path("status").asString());
        return form;
    }

    /**
     * The API request this form asks for. Creating leaves out what is blank (the API's defaults
     * apply). Editing ({@code existing} given) sends a merge patch from the job as it is to the job
     * as the form shows it: changed values, and null for every field the form no longer has, at
     * any depth (a removed header, a key gone from {@code cache}) — so what the form shows is what
     * the job becomes. (A merge patch cannot set a null inside an object; a body with nulls is
     * sent whole.)
     *
     * @throws Invalid when a field cannot be read (the JSON, a header line): said per field
     */
    ObjectNode request(JsonNode existing, JsonMapper json) {
        Map<String, String> errors = new LinkedHashMap<>();
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        text(request, "name", name);
        text(request, "url", url);
        text(request, "method", method);
        text(request, "interval", interval);
        text(request, "cron", cron);
        text(request, "timeout", timeout);
        ObjectNode headerMap = JsonNodeFactory.instance.objectNode();
        int line = 0;
        for (String header : headers.split("\\R")) {
            line++;
            if (header.isBlank()) {
                continue;
            }
            int colon = header.indexOf(':');
            if (colon <= 0) {
                errors.put("headers", "line " + line + " is not 'Name: value'");
                continue;
            }
            headerMap.put(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
        }
        if (!headerMap.isEmpty()) {
            request.set("headers", headerMap);
        }
        if (!body.isBlank()) {
            JsonNode parsed;
            try {
                parsed = json.readTree(body);
            } catch (JacksonException notJson) {
                parsed = JsonNodeFactory.instance.stringNode(body);
            }
            request.set("body", parsed);
        }
        if (!more.isBlank()) {
            try {
                JsonNode parsed = json.readTree(more);
                if (!(parsed instanceof ObjectNode object)) {
                    errors.put("more", "must be one JSON object, such as {\"cache\": {\"ttl\": \"1m\"}}");
                } else {
                    for (String field : List.copyOf(object.propertyNames())) {
                        if (OWN_FIELDS.contains(field)) {
                            errors.put("more", "'" + field + "' has a field of its own in this form");
                        }
                    }
                    request.setAll(object);
                }
            } catch (JacksonException e) {
                errors.put("more", "is not valid JSON: " + e.getOriginalMessage());
            }
        }
        ArrayNode paths = JsonNodeFactory.instance.arrayNode();
        ignorePaths.lines().map(String::strip).filter(p -> !p.isEmpty()).forEach(paths::add);
        if (!paths.isEmpty()) {
            ObjectNode dedup = request.get("dedup") instanceof ObjectNode given ? given : JsonNodeFactory.instance.objectNode();
            dedup.set("ignorePaths", paths);
            request.set("dedup", dedup);
        }
        if (!errors.isEmpty()) {
            throw new Invalid(errors);
        }
        if (existing == null) {
            request.put("active", active);
            return request;
        }
        ObjectNode definition = JsonNodeFactory.instance.objectNode();
        existing.properties().forEach(field -> {
            if (!VIEW_ONLY.contains(field.getKey()) && !field.getKey().equals("active") && !field.getValue().isNull()) {
                definition.set(field.getKey(), field.getValue());
            }
        });
        return patch(definition, request);
    }

    /** The merge patch (RFC 7386) that turns {@code from} into {@code to}. */
    static ObjectNode patch(ObjectNode from, ObjectNode to) {
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        for (String field : List.copyOf(from.propertyNames())) {
            if (!to.has(field)) {
                patch.putNull(field);
            }
        }
        for (String field : List.copyOf(to.propertyNames())) {
            JsonNode was = from.get(field);
            JsonNode wanted = to.get(field);
            if (was instanceof ObjectNode wasObject && wanted instanceof ObjectNode wantedObject) {
                ObjectNode inner = patch(wasObject, wantedObject);
                if (!inner.isEmpty()) {
                    patch.set(field, inner);
                }
            } else if (!wanted.equals(was)) {
                patch.set(field, wanted);
            }
        }
        return patch;
    }

    private static void text(ObjectNode request, String field, String value) {
        if (value != null && !value.isBlank()) {
            request.put(field, value.strip());
        }
    }

    /** Fields of the form that could not be read, before anything was sent. */
    static final class Invalid extends RuntimeException {
        final transient Map<String, String> errors;

        Invalid(Map<String, String> errors) {
            super("The form has fields that cannot be read", null, false, false);
            this.errors = errors;
        }
    }
}
