package io.pollster.poll.fetch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.ZipException;

import javax.net.ssl.SSLException;

import io.pollster.system.Durations;
import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.DefaultSchemePortResolver;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.routing.DefaultRoutePlanner;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.MalformedChunkCodingException;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.impl.EnglishReasonPhraseCatalog;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches HTTP resources for polls, safely: it refuses non-public addresses at connect time (see
 * {@link AddressPolicy}), follows redirects itself so that every hop is checked and credentials
 * never travel to another origin, bounds each attempt by a deadline and each body by a size, keeps
 * at most {@link FetchSettings#perHostConcurrency()} requests in flight per host, and retries with
 * exponential backoff and jitter, honouring {@code Retry-After}.
 *
 * <p>Blocking: call it from a virtual thread. Thread-safe; one instance per process shares one
 * connection pool.
 */
public final class Fetcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Fetcher.class);

    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    // why: the per-host semaphores bound concurrency; the pool's total only has to stay out of their way
    private static final int MAX_CONNECTIONS = 10_000;

    private final FetchSettings settings;
    private final Sleeper sleeper;
    private final Clock clock;
    private final HostPermits permits;
    private final CloseableHttpClient client;
    private final ScheduledThreadPoolExecutor deadlines;

    /** A fetcher guarded by the default {@link AddressPolicy} for the settings. */
    public Fetcher(FetchSettings settings) {
        this(settings, AddressPolicy.defaultPolicy(settings.allowPrivateNetworks()), Sleeper.SYSTEM);
    }

    Fetcher(FetchSettings settings, AddressPolicy policy, Sleeper sleeper) {
        this(settings, policy, sleeper, Clock.systemUTC());
    }

    Fetcher(FetchSettings settings, AddressPolicy policy, Sleeper sleeper, Clock clock) {
        this.settings = settings;
        this.sleeper = sleeper;
        this.clock = clock;
        this.permits = new HostPermits(settings.perHostConcurrency());
        this.client = newClient(settings, policy);
        this.deadlines = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("pollster-fetch-deadlines").daemon().factory());
        this.deadlines.setRemoveOnCancelPolicy(true);
    }

    private static CloseableHttpClient newClient(FetchSettings settings, AddressPolicy policy) {
        var connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setDnsResolver(new GuardedDnsResolver(policy))
                .setMaxConnPerRoute(settings.perHostConcurrency())
                .setMaxConnTotal(MAX_CONNECTIONS)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(settings.connectTimeout()))
                        // why: a stale pooled connection would otherwise cost a whole attempt
                        .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                        // why: so that a changed DNS answer is picked up, and checked again, in bounded time
                        .setTimeToLive(TimeValue.ofMinutes(5))
                        .build())
                .build();
        return HttpClients.custom()
                .setConnectionManager(connections)
                // why: direct connections only; a system proxy would connect on our behalf, past the guard
                .setRoutePlanner(new DefaultRoutePlanner(DefaultSchemePortResolver.INSTANCE))
                .disableRedirectHandling()
                .disableAutomaticRetries()
                // why: one client serves every user's jobs; a shared cookie jar would leak sessions between them
                .disableCookieManagement()
                .disableAuthCaching()
                .setUserAgent(settings.userAgent())
                .evictExpiredConnections()
                .evictIdleConnections(TimeValue.ofMinutes(1))
                .build();
    }

    /**
     * Fetches the request, retrying failures per the policy. Never throws for anything the upstream
     * or the network does; that comes back as {@link FetchResult.Failed}.
     */
    public FetchResult fetch(FetchRequest request, RetryPolicy retry) {
        long started = System.nanoTime();
        int attempts = 0;
        while (true) {
            attempts++;
            Outcome outcome = attempt(request);
            switch (outcome) {
                case Body body -> {
                    return new FetchResult.Fetched(body.status(), body.contentType(), body.etag(), body.lastModified(),
                            body.bytes(), attempts, since(started));
                }
                case Unchanged unchanged -> {
                    return new FetchResult.NotModified(unchanged.etag(), unchanged.lastModified(), attempts, since(started));
                }
                case Failure failure -> {
                    if (Thread.currentThread().isInterrupted()) {
                        return new FetchResult.Failed(failure.status(), failure.error() + "; interrupted", attempts,
                                since(started));
                    }
                    if (!failure.retryable() || attempts >= retry.maxAttempts()) {
                        log.debug("Fetching {} failed after {} attempt(s): {}", loggable(request.url()), attempts,
                                failure.error());
                        return new FetchResult.Failed(failure.status(), failure.error(), attempts, since(started));
                    }
                    Duration wait = jittered(retry.backoffBefore(attempts));
                    if (failure.retryAfter() != null) {
                        if (failure.retryAfter().compareTo(retry.maxBackoff()) > 0) {
                            String error = failure.error() + "; upstream asked to wait "
                                    + Durations.format(failure.retryAfter()) + " (Retry-After), longer than maxBackoff "
                                    + Durations.format(retry.maxBackoff());
                            return new FetchResult.Failed(failure.status(), error, attempts, since(started));
                        }
                        wait = wait.compareTo(failure.retryAfter()) < 0 ? failure.retryAfter() : wait;
                    }
                    log.debug("Attempt {} of {} to fetch {} failed ({}); retrying in {}", attempts, retry.maxAttempts(),
                            loggable(request.url()), failure.error(), wait);
                    try {
                        sleeper.sleep(wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return new FetchResult.Failed(failure.status(), failure.error() + "; interrupted before retrying",
                                attempts, since(started));
                    }
                }
            }
        }
    }

    /** One attempt: the request and the redirects it leads to, within one deadline. */
    private Outcome attempt(FetchRequest request) {
        try {
            Hop hop = Hop.first(request);
            long budget = request.timeout().toNanos();
            for (int redirects = 0; ; redirects++) {
                Step step;
                try (HostPermits.Permit permit = permits.acquire(hop.host(), Duration.ofNanos(budget))) {
                    if (permit == null) {
                        return new Failure(null, "host " + hop.host() + " is busy: no free request slot within "
                                + Durations.format(Duration.ofNanos(budget)), true, null);
                    }
                    // why: the clock starts once the slot is ours; queueing behind this host's other polls
                    // is not the upstream's slowness
                    long hopStarted = System.nanoTime();
                    step = exchange(hop, budget, request.timeout());
                    budget -= System.nanoTime() - hopStarted;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Failure(null, "interrupted", false, null);
                }
                if (!(step instanceof Redirect redirect)) {
                    return (Outcome) step;
                }
                if (redirects >= settings.maxRedirects()) {
                    String error = "too many redirects (more than " + settings.maxRedirects() + ")";
                    return new Failure(redirect.status(), error, false, null);
                }
                URI target;
                try {
                    target = hop.resolve(redirect.location());
                } catch (URISyntaxException e) {
                    return new Failure(redirect.status(), "redirected to an invalid URL", false, null);
                }
                if (!FetchRequest.isHttp(target) || target.getRawAuthority() == null) {
                    return new Failure(redirect.status(), "redirected to a URL that is not http or https", false, null);
                }
                if (target.getRawAuthority().contains("@")) {
                    return new Failure(redirect.status(), "redirected to a URL with user info", false, null);
                }
                hop = hop.redirectedTo(redirect.status(), target);
                if (budget <= 0) {
                    return timedOut(request.timeout());
                }
            }
        } catch (IllegalArgumentException e) {
            return new Failure(null, "invalid request: " + e.getMessage(), false, null);
        }
    }

    /** One request and its response, cancelled when the attempt's remaining budget runs out. */
    private Step exchange(Hop hop, long budgetNanos, Duration timeout) {
        if (budgetNanos <= 0) {
            return timedOut(timeout);
        }
        HttpUriRequestBase httpRequest = toHttpRequest(hop, budgetNanos);
        var expired = new AtomicBoolean();
        // why: socket timeouts bound each read, not the whole exchange; a trickling upstream is cut off here
        ScheduledFuture<?> deadline = deadlines.schedule(() -> {
            expired.set(true);
            httpRequest.cancel();
        }, budgetNanos, TimeUnit.NANOSECONDS);
        try {
            ClassicHttpResponse response = client.executeOpen(null, httpRequest, HttpClientContext.create());
            return read(hop, httpRequest, response, expired, timeout);
        } catch (IOException e) {
            return failure(e, hop, null, expired, timeout);
        } finally {
            deadline.cancel(false);
        }
    }

    private Step read(Hop hop, HttpUriRequestBase httpRequest, ClassicHttpResponse response, AtomicBoolean expired,
                      Duration timeout) {
        int status = response.getCode();
        boolean complete = false;
        try {
            if (status == 304) {
                complete = true;
                return new Unchanged(header(response, "ETag"), header(response, "Last-Modified"));
            }
            if (REDIRECTS.contains(status)) {
                String location = header(response, "Location");
                return location != null
                        ? new Redirect(status, location)
                        : new Failure(status, statusText(status) + " without a Location header", true, null);
            }
            if (status < 200 || status > 299) {
                Duration retryAfter = status == 429 || status == 503
                        ? RetryAfter.parse(header(response, "Retry-After"), clock.instant()).orElse(null)
                        : null;
                return new Failure(status, statusText(status), true, retryAfter);
            }
            long declared = declaredLength(response);
            if (declared > settings.maxBodySize()) {
                return tooLarge(status);
            }
            byte[] body = readBody(response.getEntity(), declared);
            if (body == null) {
                return tooLarge(status);
            }
            complete = true;
            return new Body(status, header(response, "Content-Type"), header(response, "ETag"),
                    header(response, "Last-Modified"), body);
        } catch (IOException e) {
            return failure(e, hop, status, expired, timeout);
        } finally {
            if (!complete) {
                // why: closing would read the rest of a body we do not want, however large; drop the connection instead
                httpRequest.cancel();
            }
            try {
                response.close();
            } catch (IOException ignored) {
                // the connection is discarded either way
            }
        }
    }

    /** The whole body, or {@code null} once it passes the size limit. */
    private byte[] readBody(HttpEntity entity, long declared) throws IOException {
        if (entity == null) {
            return new byte[0];
        }
        InputStream in = entity.getContent();
        if (in == null) {
            return new byte[0];
        }
        var out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 8192);
        byte[] buffer = new byte[8192];
        long total = 0;
        for (int n; (n = in.read(buffer)) != -1; ) {
            total += n;
            if (total > settings.maxBodySize()) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private HttpUriRequestBase toHttpRequest(Hop hop, long budgetNanos) {
        var httpRequest = new HttpUriRequestBase(hop.method(), hop.url());
        hop.headers().forEach(httpRequest::setHeader);
        hop.secretHeaders().forEach(httpRequest::setHeader);
        if (hop.body() != null) {
            httpRequest.setEntity(new ByteArrayEntity(hop.body(), null));
        }
        Timeout budget = Timeout.ofMilliseconds(Math.max(1, TimeUnit.NANOSECONDS.toMillis(budgetNanos)));
        httpRequest.setConfig(RequestConfig.custom()
                .setResponseTimeout(budget)
                .setConnectionRequestTimeout(budget)
                .setRedirectsEnabled(false)
                .setExpectContinueEnabled(false)
                .build());
        return httpRequest;
    }

    private Failure failure(IOException e, Hop hop, Integer status, AtomicBoolean expired, Duration timeout) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof RefusedAddressException refused) {
                log.debug("Refused to fetch {}: {}", loggable(hop.url()), refused.getMessage());
                return new Failure(null, refused.getMessage(), false, null);
            }
        }
        if (expired.get() || e instanceof SocketTimeoutException) {
            return timedOut(timeout);
        }
        return new Failure(status, describe(e, hop), true, null);
    }

    // why: exception messages can quote what the upstream sent, so the text is ours, chosen by type
    private String describe(IOException e, Hop hop) {
        Hop.Origin origin = Hop.Origin.of(hop.url());
        String where = origin.host() + ":" + origin.port();
        return switch (e) {
            case ConnectTimeoutException x ->
                    "could not connect to " + where + " within " + Durations.format(settings.connectTimeout());
            case HttpHostConnectException x -> "could not connect to " + where
                    + (x.getCause() instanceof java.net.ConnectException c && c.getMessage() != null
                    ? ": " + c.getMessage().toLowerCase(Locale.ROOT) : "");
            case UnknownHostException x -> "unknown host " + origin.host();
            case NoHttpResponseException x -> "the server closed the connection without answering";
            case MalformedChunkCodingException x -> "malformed response: broken chunked encoding";
            case ConnectionClosedException x -> "the server closed the connection before the response was complete";
            case ClientProtocolException x -> "malformed response: not valid HTTP";
            case SSLException x -> "TLS failure: " + shorten(x.getMessage());
            case ZipException x -> "malformed response: the body does not decompress";
            case SocketException x when x.getMessage() != null
                    && x.getMessage().toLowerCase(Locale.ROOT).contains("reset") ->
                    "connection reset by " + where;
            default -> "I/O error (" + e.getClass().getSimpleName() + ")";
        };
    }

    private static Failure timedOut(Duration timeout) {
        return new Failure(null, "timed out after " + Durations.format(timeout), true, null);
    }

    private Failure tooLarge(int status) {
        return new Failure(status, "response body larger than " + settings.maxBodySize() + " bytes", false, null);
    }

    private static String statusText(int status) {
        String reason = EnglishReasonPhraseCatalog.INSTANCE.getReason(status, Locale.ENGLISH);
        return reason == null ? "HTTP " + status : "HTTP " + status + " " + reason;
    }

    private static long declaredLength(ClassicHttpResponse response) {
        String value = header(response, "Content-Length");
        if (value != null) {
            try {
                return Long.parseLong(value.trim());
            } catch (NumberFormatException ignored) {
                // the body read enforces the limit anyway
            }
        }
        return response.getEntity() == null ? -1 : response.getEntity().getContentLength();
    }

    private static String header(ClassicHttpResponse response, String name) {
        Header header = response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    private static Duration jittered(Duration wait) {
        // why: between half and all of the backoff, so that jobs failing together do not retry together
        double factor = 0.5 + 0.5 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofNanos((long) (wait.toNanos() * factor));
    }

    private static Duration since(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    private static String shorten(String text) {
        if (text == null) {
            return "handshake failed";
        }
        return text.length() <= 120 ? text : text.substring(0, 117) + "...";
    }

    // why: query strings often carry API keys; logs get scheme, host and path only
    static String loggable(URI url) {
        String authority = url.getRawAuthority();
        authority = authority.substring(authority.lastIndexOf('@') + 1);
        return url.getScheme() + "://" + authority + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    /** Stops the deadline timer and closes every pooled connection. */
    @Override
    public void close() {
        deadlines.shutdownNow();
        client.close(CloseMode.GRACEFUL);
    }

    /** What one request of an attempt came to. */
    private sealed interface Step permits Outcome, Redirect {
    }

    /** What an attempt came to. */
    private sealed interface Outcome extends Step permits Body, Unchanged, Failure {
    }

    private record Redirect(int status, String location) implements Step {
    }

    private record Body(int status, String contentType, String etag, String lastModified, byte[] bytes) implements Outcome {
    }

    private record Unchanged(String etag, String lastModified) implements Outcome {
    }

    /** @param retryAfter the wait a 429 or 503 asked for, or {@code null} */
    private record Failure(Integer status, String error, boolean retryable, Duration retryAfter) implements Outcome {
    }
}
