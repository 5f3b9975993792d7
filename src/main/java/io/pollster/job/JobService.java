package io.pollster.job;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

import io.pollster.schedule.JobSchedule;
import io.pollster.schedule.JobSchedules;
import io.pollster.schedule.Scheduler;
import io.pollster.system.Ids;
import io.pollster.system.memory.ByteBudget;
import io.pollster.system.secret.SecretBox;
import io.pollster.system.secret.UnreadableSecretException;
import io.pollster.system.web.ApiException;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import io.pollster.user.Caller;
import io.pollster.user.Quotas;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Jobs as their owners see them. A job another user owns answers as if it did not exist; the
 * admin reads every job but owns none.
 */
@Service
public class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);
    private static final TypeReference<TreeMap<String, String>> SECRET_MAP = new TypeReference<>() {
    };

    /** Definitions held by one page of a job list: a thousand jobs with 1 MiB bodies would be a gigabyte. */
    static final long MAX_PAGE_BYTES = 4L * 1024 * 1024;
    /** Enough for the largest single definition (a 1 MiB body, 16 KiB of headers and the rest): a page of one. */
    private static final long MIN_PAGE_BYTES = 5L * 1024 * 1024 / 4;
    private static final Duration PAGE_WAIT = Duration.ofSeconds(1);

    private final JobRepository jobs;
    private final JobValidator validator;
    private final SecretBox secrets;
    private final JobSchedules schedules;
    private final ApplicationEventPublisher events;
    private final Quotas quotas;
    private final JsonMapper json;
    private final Clock clock;
    private final ByteBudget memory;
    private final OutputSecretStore outputSecrets;

    JobService(JobRepository jobs, JobValidator validator, SecretBox secrets, JobSchedules schedules, Quotas quotas,
               JsonMapper json, Clock clock, ByteBudget memory, ApplicationEventPublisher events, OutputSecretStore outputSecrets) {
        this.jobs = jobs;
        this.outputSecrets = outputSecrets;
        this.validator = validator;
        this.secrets = secrets;
        this.schedules = schedules;
        this.events = events;
        this.quotas = quotas;
        this.json = json;
        this.clock = clock;
        this.memory = memory;
    }

    @Transactional
    public Job create(Caller caller, JobRequest request) {
        requireUser(caller);
        JobValidator.Validated valid = validator.validate(request, JobValidator.Existing.NONE);
        quotas.requireRoomForJob(caller.userId());
        JobStatus status = valid.spec().active() ? JobStatus.ACTIVE : JobStatus.STOPPED;
        Instant now = now();
        JobId id = new JobId(Ids.next());
        jobs.insert(id, caller.userId().value(), valid.spec(), seal(id, valid.secrets()), status, now);
        if (!valid.outputs().secrets().isEmpty()) {
            outputSecrets.replace(id.value(), valid.outputs().secrets());
        }
        schedules.insert(id.value(), schedule(valid, valid.effectiveInterval(), status, now, true));
        events.publishEvent(new JobEvents.Created(id));
        return showing(jobs.find(id).orElseThrow(), valid);
    }

    public Job get(Caller caller, JobId id) {
        return jobs.find(id)
                .filter(job -> caller.admin() || job.ownerId().equals(caller.userId().value()))
                .orElseThrow(() -> ApiException.notFound("Job " + id));
    }

    /**
     * A page of jobs; fewer than the limit (with a cursor to the rest) when their definitions are
     * large. The page's definitions are reserved from the budget of bytes in flight while the
     * caller holds the page: up to 4 MiB, less when the budget (or the caller's share of it) is
     * short — the page is cut at what was reserved — and when not even one definition's worth
     * comes free within a second, the answer is a 503 with {@code Retry-After}.
     *
     * @param use what the caller makes of the page while its bytes are reserved
     */
    /** @param text null, or text the job's name or URL must contain (any case) */
    public <T> T list(Caller caller, JobStatus status, String text, PageQuery page, Function<Page<Job>, T> use) {
        var owner = caller.admin() ? null : caller.userId().value();
        try (ByteBudget.Reservation reserved = reservePage(owner)) {
            JobRepository.Slice slice = jobs.findPage(owner, status,
                    text == null || text.isBlank() ? null : text.strip().toLowerCase(Locale.ROOT), page.afterId(), page.fetchSize(), reserved.bytes());
            return use.apply(slice.cut() ? Page.cutShort(slice.jobs(), j -> j.id().toString())
                    : Page.of(slice.jobs(), page, j -> j.id().toString()));
        }
    }

    /** As much of a full page as is free now, halving down to one definition's worth, which may wait a second. */
    private ByteBudget.Reservation reservePage(UUID owner) {
        ByteBudget.Reservation reservation = null;
        try {
            // a budget configured smaller than a page still lists jobs, a few at a time
            long smallest = Math.min(MIN_PAGE_BYTES, memory.perTenant());
            for (long bytes = MAX_PAGE_BYTES; reservation == null && bytes > smallest; bytes /= 2) {
                reservation = memory.reserve(owner, bytes, Duration.ZERO);
            }
            if (reservation == null) {
                reservation = memory.reserve(owner, smallest, PAGE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (reservation == null) {
            throw ApiException.unavailable("Pollster is busy: too many bytes are in flight to list jobs now; try again after "
                    + "the Retry-After delay", PAGE_WAIT);
        }
        return reservation;
    }

    /** Applies a JSON merge patch (RFC 7386) to the job's definition; a new schedule starts from now. */
    @Transactional
    public Job patch(Caller caller, JobId id, JsonNode patch) {
        Job job = owned(caller, id);
        if (!patch.isObject()) {
            throw ApiException.invalid("$", "a merge patch must be a JSON object");
        }
        ObjectNode merged = json.valueToTree(job.spec());
        mergePatch(merged, (ObjectNode) patch);
        JobRequest request;
        try {
            request = json.treeToValue(merged, JobRequest.class);
        } catch (tools.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw ApiException.invalid(e.getPropertyName(), "unknown field");
        } catch (tools.jackson.core.JacksonException e) {
            throw ApiException.invalid("$", "the patched job has a field of the wrong type");
        }
        Map<String, String> oldSecrets = secretsToKeep(job, request);
        List<String> oldOutputSecrets = job.spec().outputs().isEmpty() ? List.of() : outputSecrets.find(id.value());
        JobValidator.Validated valid = validator.validate(request, new JobValidator.Existing(job.spec().url(), oldSecrets,
                oldOutputSecrets, job.spec().outputs()));
        JobSpec before = job.spec();
        JobSpec after = valid.spec();
        JobStatus status = after.active() ? JobStatus.ACTIVE : JobStatus.STOPPED;
        boolean scheduleChanged = !Objects.equals(after.interval(), before.interval())
                || !Objects.equals(after.cron(), before.cron())
                || !Objects.equals(after.jitter(), before.jitter())
                || !Objects.equals(after.adaptive(), before.adaptive())
                || status != job.status();
        boolean requestChanged = !Objects.equals(after.url(), before.url())
                || !Objects.equals(after.method(), before.method())
                || !Objects.equals(after.headers(), before.headers())
                || !Objects.equals(orNull(after.body()), orNull(before.body()))
                || !Objects.equals(valid.secrets(), oldSecrets);
        // an adaptive job keeps what it learned unless its interval or bounds change
        Duration effective = scheduleChanged || job.effectiveInterval() == null ? valid.effectiveInterval() : job.effectiveInterval();
        Instant now = now();
        boolean starting = status == JobStatus.ACTIVE && job.status() == JobStatus.STOPPED;
        if (!jobs.updateDefinition(job, after, seal(id, valid.secrets()), status, now)) {
            throw ApiException.conflict("Job " + id + " was changed by another request; read it again and retry");
        }
        if (patch.has("outputs")) {
            outputSecrets.replace(id.value(), valid.outputs().secrets());
        }
        schedules.follow(id.value(), schedule(valid, effective, status, now, starting), scheduleChanged);
        if (requestChanged) {
            events.publishEvent(new JobEvents.RequestChanged(id));
        }
        return showing(jobs.find(id).orElseThrow(), valid);
    }

    /** The job as the answer that saved it shows it: a webhook secret generated just now appears in clear, this once. */
    private static Job showing(Job job, JobValidator.Validated valid) {
        if (valid.outputs().shown().equals(valid.outputs().stored())) {
            return job;
        }
        return new Job(job.id(), job.ownerId(), job.spec().withOutputs(valid.outputs().shown()), job.sealedSecrets(), job.status(),
                job.effectiveInterval(), job.nextRunAt(), job.lastRunAt(), job.lastOutcome(), job.stats(), job.version(),
                job.createdAt(), job.updatedAt(), job.stale());
    }

    @Transactional
    public void delete(Caller caller, JobId id) {
        owned(caller, id);
        jobs.delete(id);
    }

    /** Stops the job: it fires no more until started. Idempotent. */
    @Transactional
    public Job stop(Caller caller, JobId id) {
        return setActive(caller, id, false);
    }

    /** Starts the job: it fires now, then on its schedule. Idempotent. */
    @Transactional
    public Job start(Caller caller, JobId id) {
        return setActive(caller, id, true);
    }

    /**
     * Polls once now, outside the schedule (a stopped job too: it is an explicit request) — as soon
     * as no poll of the job is in flight. Requests made meanwhile coalesce into that one poll.
     */
    @Transactional
    public void runNow(Caller caller, JobId id) {
        owned(caller, id);
        schedules.requestRun(id.value());
    }

    private Job setActive(Caller caller, JobId id, boolean active) {
        Job job = owned(caller, id);
        if ((job.status() == JobStatus.ACTIVE) == active) {
            return job;
        }
        Instant now = now();
        JobSpec spec = job.spec().withActive(active);
        JobSchedule schedule;
        if (active) {
            // starting checks the definition against today's rules (a job an older release accepted
            // is fixed with a PATCH first); the sealed value is stored back as it is, so the masks
            // stand in for the values
            JobValidator.Validated valid = validator.validate(json.convertValue(spec, JobRequest.class),
                    new JobValidator.Existing(job.spec().url(), job.spec().secretHeaders(),
                            Collections.nCopies(job.spec().outputs().size(), JobSpec.MASK), job.spec().outputs()));
            spec = valid.spec();
            schedule = schedule(valid, job.effectiveInterval(), JobStatus.ACTIVE, now, true);
        } else {
            // stopping does not: whatever became of its definition, a job can always be stopped
            schedule = stopped(spec, job.effectiveInterval());
        }
        if (!jobs.updateDefinition(job, spec, job.sealedSecrets(), active ? JobStatus.ACTIVE : JobStatus.STOPPED, now)) {
            throw ApiException.conflict("Job " + id + " was changed by another request; read it again and retry");
        }
        schedules.follow(id.value(), schedule, true);
        return jobs.find(id).orElseThrow();
    }

    /**
     * Stops jobs whose schedule cannot say when they fire next, so they never hold up the
     * scheduler again; their definition stays, for a PATCH to repair. The job rows are locked
     * before their schedule rows, in the order every other write of both takes.
     */
    @EventListener
    @Transactional
    public void stopUnschedulable(Scheduler.Unschedulable unschedulable) {
        List<UUID> stopped = jobs.stop(unschedulable.jobIds(), now());
        schedules.unschedule(stopped);
    }

    /** A stored {@code "body": null} reads back as a NullNode: the same as no body. */
    private static JsonNode orNull(JsonNode node) {
        return node == null || node.isNull() ? null : node;
    }

    /**
     * @param fireNow true for a new or (re)started job: it fires at once; otherwise the new
     *                schedule's first due time counts from now
     */
    private static JobSchedule schedule(JobValidator.Validated valid, Duration effective, JobStatus status, Instant now,
                                        boolean fireNow) {
        JobSpec spec = valid.spec();
        return status == JobStatus.STOPPED ? stopped(spec, effective)
                : JobSchedule.active(valid.schedule(), interval(spec), spec.cron(), spec.jitterDuration(), effective, now, fireNow);
    }

    private static JobSchedule stopped(JobSpec spec, Duration effective) {
        return JobSchedule.stopped(interval(spec), spec.cron(), spec.jitterDuration(), effective);
    }

    private static Duration interval(JobSpec spec) {
        return spec.interval() == null ? null : Duration.parse(spec.interval());
    }

    private Job owned(Caller caller, JobId id) {
        requireUser(caller);
        return jobs.find(id)
                .filter(job -> job.ownerId().equals(caller.userId().value()))
                .orElseThrow(() -> ApiException.notFound("Job " + id));
    }

    private static void requireUser(Caller caller) {
        if (caller.admin()) {
            throw ApiException.forbidden("The admin reads every job but owns none; use a user's token to change jobs");
        }
    }

    private byte[] seal(JobId id, Map<String, String> plain) {
        return plain.isEmpty() ? null : secrets.seal(json.writeValueAsBytes(new TreeMap<>(plain)), associatedData(id));
    }

    /**
     * The job's secret header values, decrypted.
     *
     * @throws UnreadableSecretException when they do not open: sealed under another key, altered,
     *                                   or sealed for another job (a value copied between rows)
     */
    public Map<String, String> openSecrets(Job job) {
        return job.sealedSecrets() == null
                ? Map.of()
                : json.readValue(secrets.open(job.sealedSecrets(), associatedData(job.id())), SECRET_MAP);
    }

    /**
     * The job's sealed secret headers sealed again in the current format, bound to the job.
     *
     * @throws UnreadableSecretException when they do not open
     */
    byte[] reseal(JobId id, byte[] sealed) {
        return secrets.seal(secrets.open(sealed, associatedData(id)), associatedData(id));
    }

    /**
     * What a job's sealed secrets are bound to: its row. The header names are inside the sealed
     * JSON, so they are bound too; the column name keeps the value from opening in any other use
     * of the key with the same id.
     */
    private static byte[] associatedData(JobId id) {
        return ("jobs.secret_headers/" + id.value()).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The stored secrets a patch may keep with {@code "***"}. When they no longer open, a patch that
     * gives every value again (or drops them) still goes through — that is how the job is repaired —
     * while one that would keep any is refused, saying so.
     */
    private Map<String, String> secretsToKeep(Job job, JobRequest request) {
        try {
            return openSecrets(job);
        } catch (UnreadableSecretException e) {
            log.warn("The secret headers of job {} do not open: {}", job.id(), e.getMessage());
            if (request.secretHeaders() != null && request.secretHeaders().containsValue(JobSpec.MASK)) {
                throw ApiException.conflict("The secret headers of job " + job.id() + " cannot be decrypted (the server's"
                        + " secret key changed, or the stored value was altered); send every secretHeaders value again"
                        + " to replace them");
            }
            return Map.of();
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static void mergePatch(ObjectNode target, ObjectNode patch) {
        for (var entry : patch.properties()) {
            String field = entry.getKey();
            JsonNode value = entry.getValue();
            if (value.isNull()) {
                target.remove(field);
            } else if (value.isObject() && target.get(field) instanceof ObjectNode existing) {
                mergePatch(existing, (ObjectNode) value);
            } else {
                target.set(field, value);
            }
        }
    }

}
