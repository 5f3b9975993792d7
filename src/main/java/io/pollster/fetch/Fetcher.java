package io.pollster.fetch;

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.ZipException;

import javax.net.ssl.SSLException;

import io.pollster.system.Durations;
import io.pollster.system.memory.ByteBudget;
import io.pollster.user.UserId;
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
 * at most {@link FetchSettings#perHostConcurrency()} requests in flight per host (of which one
 * user's hold at most {@link FetchSettings#perUserHostConcurrency()}), and decodes only
 * the content codings it asks for. One call is one attempt; {@link RetryPolicy} says whether and
 * when to make another, which the poller does without holding a slot while it waits.
 *
 * <p>Blocking: call it from a virtual thread. Thread-safe; one instance per process shares one
 * connection pool.
 */
public final class Fetcher implements AutoCloseable {

    /** Link headers beyond this are not read: a next link is near the start of any sane one. */
    private static final int MAX_LINK_CHARS = 16 * 1024;

    private static final Logger log = LoggerFactory.getLogger(Fetcher.class);

    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    // why: the per-host semaphores bound concurrency; the pool's total only has to stay out of their way
    private static final int MAX_CONNECTIONS = 10_000;

    private final FetchSettings settings;
    private final Clock clock;
    private final ResponseBodies bodies;
    private final HostPermits permits;
    private final CloseableHttpClient client;
    private final ScheduledThreadPoolExecutor deadlines;

    /** A fetcher guarded by the default {@link AddressPolicy} for the settings. */
    public Fetcher(FetchSettings settings) {
        this(settings, AddressPolicy.defaultPolicy(settings.allowPrivateNetworks()));
    }

    Fetcher(FetchSettings settings, AddressPolicy policy) {
        this(settings, policy, Clock.systemUTC());
    }

    Fetcher(FetchSettings settings, AddressPolicy policy, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.bodies = new ResponseBodies(settings.maxBodySize());
        this.permits = new HostPermits(settings.perHostConcurrency(), settings.perUserHostConcurrency());
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
                // why: with commons-compress on the class path the client would decode lzma, xz, bzip2, lz4 and more,
                // some of which allocate what a header claims (a 2 GiB lzma dictionary); ResponseBodies decodes
                // what Pollster asks for, bounded
                .disableContentCompression()
                .setUserAgent(settings.userAgent())
                .evictExpiredConnections()
                .evictIdleConnections(TimeValue.ofMinutes(1))
                .build();
    }

    /**
     * One attempt for {@code user}: the request and the redirects it leads to, within the request's
     * timeout. Waits at most {@code hostWait} for a request slot of a host within the user's share
     * of it; when none comes free the attempt is
     * not made ({@link FetchResult.HostBusy}). Never throws for anything the upstream or the network
     * does; that comes back as {@link FetchResult.Failed}. Retrying is the caller's: see
     * {@link RetryPolicy#after}.
     */
    public FetchResult fetch(FetchRequest request, UserId user, Duration hostWait, ByteBudget.Reservation budget) {
        long started = System.nanoTime();
        Outcome outcome = attempt(request, user, hostWait, budget);
        Duration took = since(started);
        return switch (outcome) {
            case Body body -> new FetchResult.Fetched(body.status(), body.contentType(), body.etag(), body.lastModified(),
                    body.links(), body.bytes(), took);
            case Unchanged unchanged -> new FetchResult.NotModified(unchanged.etag(), unchanged.lastModified(), took);
            case Busy busy -> new FetchResult.HostBusy(busy.host(), took);
            case NoBudget noBudget -> new FetchResult.OutOfBudget(took);
            case Failure failure -> {
                log.debug("Fetching {} failed: {}", loggable(request.url()), failure.error());
                yield new FetchResult.Failed(failure.status(), failure.error(), failure.retryable(), failure.retryAfter(), took,
                        failure.upstreams());
            }
        };
    }

    /** One attempt: the request and the redirects it leads to, within one deadline. */
    private Outcome attempt(FetchRequest request, UserId user, Duration hostWait, ByteBudget.Reservation budget) {
        try {
            Hop hop = Hop.first(request);
            long remaining = request.timeout().toNanos();
            for (int redirects = 0; ; redirects++) {
                Step step;
                try (HostPermits.Permit permit = permits.acquire(hop.host(), user, min(hostWait, Duration.ofNanos(remaining)))) {
                    if (permit == null) {
                        return new Busy(hop.host());
                    }
                    // why: the clock starts once the slot is ours; queueing behind this host's other polls
                    // is not the upstream's slowness
                    long hopStarted = System.nanoTime();
                    step = exchange(hop, remaining, request.timeout(), budget);
                    remaining -= System.nanoTime() - hopStarted;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Failure(null, "interrupted", false, null, false);
                }
                if (!(step instanceof Redirect redirect)) {
                    return (Outcome) step;
                }
                if (redirects >= settings.maxRedirects()) {
                    String error = "too many redirects (more than " + settings.maxRedirects() + ")";
                    return new Failure(redirect.status(), error, false, null, false);
                }
                URI target;
                try {
                    target = hop.resolve(redirect.location());
                } catch (URISyntaxException e) {
                    return new Failure(redirect.status(), "redirected to an invalid URL", false, null, true);
                }
                if (!FetchRequest.isHttp(target) || target.getRawAuthority() == null) {
                    return new Failure(redirect.status(), "redirected to a URL that is not http or https", false, null, true);
                }
                if (target.getRawAuthority().contains("@")) {
                    return new Failure(redirect.status(), "redirected to a URL with user info", false, null, true);
                }
                hop = hop.redirectedTo(redirect.status(), target);
                if (remaining <= 0) {
                    return timedOut(request.timeout());
                }
            }
        } catch (IllegalArgumentException e) {
            return new Failure(null, "invalid request: " + e.getMessage(), false, null, false);
        }
    }

    /** One request and its response, cancelled when the attempt's remaining time runs out. */
    private Step exchange(Hop hop, long budgetNanos, Duration timeout, ByteBudget.Reservation budget) {
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
            return read(hop, httpRequest, response, expired, timeout, budget);
        } catch (IOException e) {
            return failure(e, hop, null, expired, timeout);
        } finally {
            deadline.cancel(false);
        }
    }

    private Step read(Hop hop, HttpUriRequestBase httpRequest, ClassicHttpResponse response, AtomicBoolean expired,
                      Duration timeout, ByteBudget.Reservation budget) {
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
                        : new Failure(status, statusText(status) + " without a Location header", true, null, true);
            }
            if (status < 200 || status > 299) {
                Duration retryAfter = status == 429 || status == 503
                        ? RetryAfter.parse(header(response, "Retry-After"), clock.instant()).orElse(null)
                        : null;
                return new Failure(status, statusText(status), true, retryAfter, true);
            }
            long declared = declaredLength(response);
            if (declared > settings.maxBodySize()) {
                return tooLarge(status);
            }
            HttpEntity entity = response.getEntity();
            byte[] body = entity == null ? new byte[0]
                    : bodies.read(entity.getContent(), header(response, "Content-Encoding"), declared, budget);
            if (body == null) {
                return tooLarge(status);
            }
            complete = true;
            return new Body(status, header(response, "Content-Type"), header(response, "ETag"),
                    header(response, "Last-Modified"), links(response), body);
        } catch (ResponseBodies.OutOfBudget e) {
            return new NoBudget();
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

    private HttpUriRequestBase toHttpRequest(Hop hop, long budgetNanos) {
        var httpRequest = new HttpUriRequestBase(hop.method(), hop.url());
        hop.headers().forEach(httpRequest::setHeader);
        hop.secretHeaders().forEach(httpRequest::setHeader);
        // why: only what ResponseBodies can decode within the size limit; the client decodes nothing itself
        httpRequest.setHeader("Accept-Encoding", ResponseBodies.ACCEPT_ENCODING);
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
        if (e instanceof ResponseBodies.UnsupportedEncodingException unsupported) {
            return new Failure(status, unsupported.getMessage(), false, null, true);
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof RefusedAddressException refused) {
                log.debug("Refused to fetch {}: {}", loggable(hop.url()), refused.getMessage());
                return new Failure(null, refused.getMessage(), false, null, false);
            }
        }
        if (expired.get() || e instanceof SocketTimeoutException) {
            return timedOut(timeout);
        }
        // a connect timeout is the node's setting, not the upstream's answer
        return new Failure(status, describe(e, hop), true, null, !(e instanceof ConnectTimeoutException));
    }

    // why: exception messages can quote what the upstream sent, so the text is ours, chosen by type
    private String describe(IOException e, Hop hop) {
        Origin origin = Origin.of(hop.url());
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
            case java.io.EOFException x -> "malformed response: the compressed body ends early";
            case SocketException x when x.getMessage() != null
                    && x.getMessage().toLowerCase(Locale.ROOT).contains("reset") ->
                    "connection reset by " + where;
            default -> "I/O error (" + e.getClass().getSimpleName() + ")";
        };
    }

    private static Failure timedOut(Duration timeout) {
        return new Failure(null, "timed out after " + Durations.format(timeout), true, null, false);
    }

    private Failure tooLarge(int status) {
        return new Failure(status, "response body larger than " + settings.maxBodySize() + " bytes", false, null, false);
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

    /** Every {@code Link} header, joined as one (RFC 8288 allows either spelling), or {@code null}. */
    private static String links(ClassicHttpResponse response) {
        Header[] links = response.getHeaders("Link");
        if (links.length == 0) {
            return null;
        }
        StringBuilder joined = new StringBuilder();
        for (Header link : links) {
            if (joined.length() + link.getValue().length() > MAX_LINK_CHARS) {
                break;
            }
            joined.append(joined.isEmpty() ? "" : ", ").append(link.getValue());
        }
        return joined.toString();
    }

    private static String header(ClassicHttpResponse response, String name) {
        Header header = response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
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
    private sealed interface Outcome extends Step permits Body, Unchanged, Failure, Busy, NoBudget {
    }

    private record Busy(String host) implements Outcome {
    }

    private record NoBudget() implements Outcome {
    }

    private record Redirect(int status, String location) implements Step {
    }

    private record Body(int status, String contentType, String etag, String lastModified, String links, byte[] bytes) implements Outcome {
    }

    private record Unchanged(String etag, String lastModified) implements Outcome {
    }

    /**
     * @param retryAfter the wait a 429 or 503 asked for, or {@code null}
     * @param upstreams  whether the upstream gave it, rather than this attempt's own limits ({@link FetchResult.Failed#upstreams})
     */
    private record Failure(Integer status, String error, boolean retryable, Duration retryAfter, boolean upstreams)
            implements Outcome {
    }
}
