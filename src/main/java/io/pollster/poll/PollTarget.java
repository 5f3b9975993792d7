package io.pollster.poll;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.pollster.dedup.DedupMode;
import io.pollster.dedup.DedupSpec;
import io.pollster.fetch.FetchRequest;
import io.pollster.fetch.RetryPolicy;
import io.pollster.job.Job;
import io.pollster.job.JobSpec;
import io.pollster.system.web.InvalidField;

/**
 * A job's definition as polling uses it — request, retries, dedup, adaptive bounds — built once
 * per definition {@code version} instead of parsing the stored JSON on every poll.
 *
 * @param alertAfterFailures failures in a row that make a {@code poll.failed} event
 * @param unusable why the definition cannot be polled as it stands (dedup settings an older
 *                 release accepted and this one refuses), or null
 * @param pagination how a fire walks the job's pages (a run), or null for one request per fire
 * @param items    how a body splits into items, or null
 * @param rateLimit how often the job may send requests, cluster-wide, or null
 * @param cache    how the job's answers are shared with other jobs sending the same request, or null
 */
record PollTarget(long version, String method, URI url, Map<String, String> headers, Map<String, String> secretHeaders,
                  byte[] body, Duration timeout, RetryPolicy retry, DedupSpec dedup, Duration adaptiveMin,
                  Duration adaptiveMax, String unusable, int alertAfterFailures, JobSpec.Pagination pagination,
                  JobSpec.Items items, JobSpec.RateLimit rateLimit, JobSpec.Cache cache) {

    static PollTarget of(Job job, Map<String, String> secrets) {
        JobSpec spec = job.spec();
        JobSpec.Retry retry = spec.retry();
        JobSpec.Dedup dedup = spec.dedup();
        JobSpec.Adaptive adaptive = spec.adaptive();
        DedupSpec dedupSpec = new DedupSpec(dedup.mode() == null ? null : DedupMode.fromWireName(dedup.mode()),
                dedup.ignorePaths(), dedup.ignorePatterns());
        List<InvalidField> problems = dedupSpec.validate("dedup");
        String unusable = problems.isEmpty() ? null : "the job's dedup settings are no longer accepted ("
                + problems.stream().map(p -> p.field() + " " + p.message()).collect(Collectors.joining("; "))
                + "); change them with a PATCH";
        return new PollTarget(job.version(), spec.method(), URI.create(spec.url()), spec.requestHeaders(), Map.copyOf(secrets),
                spec.requestBody(), spec.timeoutDuration(),
                new RetryPolicy(retry.maxAttempts(), Duration.parse(retry.backoff()), Duration.parse(retry.maxBackoff())),
                problems.isEmpty() ? dedupSpec : DedupSpec.DEFAULT,
                adaptive == null ? null : Duration.parse(adaptive.min()),
                adaptive == null ? null : Duration.parse(adaptive.max()), unusable, spec.alertAfterFailures(),
                spec.pagination(), spec.items(), spec.rateLimit(), spec.cache());
    }

    /** Roughly the bytes this target holds on the heap, for the cache's bound. */
    int weight() {
        long chars = url.toString().length() + method.length();
        for (var headerSet : java.util.List.of(headers, secretHeaders)) {
            for (var e : headerSet.entrySet()) {
                chars += e.getKey().length() + e.getValue().length() + 64;
            }
        }
        for (String entry : dedup.ignorePaths()) {
            chars += entry.length() * 4L + 256; // compiled paths hold several objects per token
        }
        for (String entry : dedup.ignorePatterns()) {
            chars += entry.length() * 4L + 256;
        }
        long bytes = 512 + 2 * chars + (body == null ? 0 : body.length);
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    FetchRequest request(String etag, String lastModified) {
        return new FetchRequest(method, url, headers, secretHeaders, body, timeout, etag, lastModified);
    }

    /** Adaptive jobs halve their interval after a change and stretch it by half while nothing changes; null otherwise. */
    Long adapt(Duration current, boolean changed) {
        if (adaptiveMin == null || current == null) {
            return null;
        }
        Duration next = changed ? current.dividedBy(2) : current.plus(current.dividedBy(2));
        return (next.compareTo(adaptiveMin) < 0 ? adaptiveMin : next.compareTo(adaptiveMax) > 0 ? adaptiveMax : next).toMillis();
    }
}
