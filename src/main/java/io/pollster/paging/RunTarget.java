package io.pollster.paging;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.pollster.dedup.DedupMode;
import io.pollster.dedup.DedupSpec;
import io.pollster.fetch.FetchRequest;
import io.pollster.fetch.Origin;
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

    /** A page: on another origin than the job's, without its credentials (a next URL may point anywhere). */
    FetchRequest request(URI pageUrl) {
        boolean home = sameOrigin(pageUrl);
        return new FetchRequest(method, pageUrl, home ? headers : withoutCredentials(headers), home ? secretHeaders : Map.of(),
                body, timeout, null, null);
    }

    /** An item's detail: a GET without the job's body; on another origin than the job's, without its credentials. */
    FetchRequest detailRequest(URI detailUrl) {
        boolean home = sameOrigin(detailUrl);
        Map<String, String> plain = new LinkedHashMap<>(home ? headers : withoutCredentials(headers));
        plain.keySet().removeIf(h -> h.equalsIgnoreCase("Content-Type"));
        return new FetchRequest("GET", detailUrl, plain, home ? secretHeaders : Map.of(), null, timeout, null, null);
    }

    /**
     * Credentials go to the job's own origin only, as on a redirect: its secret headers, and
     * Authorization, Proxy-Authorization and Cookie even when given as plain headers.
     */
    private boolean sameOrigin(URI pageUrl) {
        return Origin.of(url).equals(Origin.of(pageUrl));
    }

    private static Map<String, String> withoutCredentials(Map<String, String> headers) {
        Map<String, String> plain = new LinkedHashMap<>(headers);
        plain.keySet().removeIf(FetchRequest::isCredentialHeader);
        return plain;
    }
}
