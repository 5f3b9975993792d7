package io.pollster.paging;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.pollster.dedup.DedupMode;
import io.pollster.dedup.DedupSpec;
import io.pollster.fetch.FetchRequest;
import io.pollster.fetch.RetryPolicy;
import io.pollster.job.Job;
import io.pollster.job.JobSpec;

/** A job's definition as its pages use it: the request, retries, dedup, pagination, items, rate. */
record RunTarget(UUID jobId, UUID ownerId, String method, URI url, Map<String, String> headers,
                 Map<String, String> secretHeaders, byte[] body, Duration timeout, RetryPolicy retry, DedupSpec dedup,
                 JobSpec.Pagination pagination, JobSpec.Items items, JobSpec.RateLimit rateLimit) {

    static RunTarget of(Job job, Map<String, String> secrets) {
        JobSpec spec = job.spec();
        JobSpec.Retry retry = spec.retry();
        JobSpec.Dedup dedup = spec.dedup();
        DedupSpec dedupSpec = new DedupSpec(dedup.mode() == null ? null : DedupMode.fromWireName(dedup.mode()),
                dedup.ignorePaths(), dedup.ignorePatterns());
        return new RunTarget(job.id().value(), job.ownerId(), spec.method(), URI.create(spec.url()), spec.requestHeaders(),
                Map.copyOf(secrets), spec.requestBody(), spec.timeoutDuration(),
                new RetryPolicy(retry.maxAttempts(), Duration.parse(retry.backoff()), Duration.parse(retry.maxBackoff())),
                dedupSpec.validate("dedup").isEmpty() ? dedupSpec : DedupSpec.DEFAULT, spec.pagination(), spec.items(),
                spec.rateLimit());
    }

    FetchRequest request(URI pageUrl) {
        return new FetchRequest(method, pageUrl, headers, sameOrigin(pageUrl) ? secretHeaders : Map.of(), body, timeout, null,
                null);
    }

    /** An item's detail: a GET without the job's body, its secret headers only to the job's own origin. */
    FetchRequest detailRequest(URI detailUrl) {
        Map<String, String> plain = new LinkedHashMap<>(headers);
        plain.keySet().removeIf(h -> h.equalsIgnoreCase("Content-Type"));
        return new FetchRequest("GET", detailUrl, plain, sameOrigin(detailUrl) ? secretHeaders : Map.of(), null, timeout, null,
                null);
    }

    /** Secret headers go to the job's own origin only: a next URL may point anywhere. */
    private boolean sameOrigin(URI pageUrl) {
        return url.getScheme().equalsIgnoreCase(pageUrl.getScheme()) && url.getHost().equalsIgnoreCase(pageUrl.getHost())
                && port(url) == port(pageUrl);
    }

    private static int port(URI uri) {
        return uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
}
