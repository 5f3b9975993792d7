package io.pollster.paging;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.pollster.fetch.Origin;
import io.pollster.job.JobSpec;
import io.pollster.system.Durations;
import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import io.pollster.user.UserId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * What a request upstream waits for, cluster-wide, before it may go — polls, pages and detail
 * fetches alike:
 * <ul>
 *   <li>its owner's pause of its origin: a 429 pauses the requests of the user who got it to that
 *       origin (scheme, host and port), on every node, for its {@code Retry-After} (1s without one,
 *       at most a minute). Other users' requests to the origin, and the user's requests to the
 *       host's other ports, go on: one user's throttled token or flood must not stop anyone else.
 *       Each node keeps the pauses in memory, refreshed from the spacing store every second, so
 *       the check costs a map lookup;</li>
 *   <li>the operator's rate for its host, {@code pollster.hosts.<host>.rate} (e.g. {@code 10/1s};
 *       as an environment variable {@code POLLSTER_HOSTS_API_EXAMPLE_COM_RATE}), shared by every
 *       user and port;</li>
 *   <li>its job's {@code rateLimit}.</li>
 * </ul>
 * A request that must wait goes back on its queue for that long, holding no slot.
 */
@Component
public class RequestLimits extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(RequestLimits.class);
    static final Duration DEFAULT_PAUSE = Duration.ofSeconds(1);
    /** The longest a 429 pauses its user's requests to an origin: a hostile upstream must not stop a user's other jobs there for a day. */
    static final Duration MAX_PAUSE = Duration.ofMinutes(1);
    private static final Duration REFRESH = Duration.ofSeconds(1);
    /** How long a rate-limited request waits when its spacing cannot be reached. */
    private static final Duration OUTAGE_WAIT = Duration.ofSeconds(5);
    /** Before each owner's pause of an origin in the spacing store; {@code host:} held the old per-host pauses. */
    static final String PAUSE = "pause:";
    private static final String HOST_RATE = "host-rate:";
    private static final Pattern RATE = Pattern.compile("\\s*(\\d{1,6})\\s*(?:/\\s*(\\S+))?\\s*");

    private final RequestSpacing spacing;
    private final Environment environment;
    private final Roles roles;
    /** Owners' origins paused cluster-wide, until when: read from the spacing store each second. */
    private volatile Map<OriginPause, Instant> paused = Map.of();
    /** Pauses this node set itself: in force at once, and even when they could not be shared. */
    private final Map<OriginPause, Instant> pausedHere = new java.util.concurrent.ConcurrentHashMap<>();
    private final Cache<String, Optional<Duration>> hostRates = Caffeine.newBuilder().maximumSize(10_000).build();

    RequestLimits(RequestSpacing spacing, Environment environment, Roles roles, Loops loops) {
        super(loops, "host-pauses", REFRESH, ShutdownPhase.UPKEEP, Duration.ofSeconds(2));
        this.spacing = spacing;
        this.environment = environment;
        this.roles = roles;
    }

    /**
     * Takes what a request of {@code owner}'s job to {@code url} needs to go now: zero when it may,
     * else how long to wait (nothing is taken then). {@code jobRate} may be null.
     */
    public Duration before(UUID jobId, JobSpec.RateLimit jobRate, UserId owner, URI url) {
        Duration pause = pausedFor(owner, url);
        if (!pause.isZero()) {
            return pause;
        }
        String key = url.getHost().toLowerCase(Locale.ROOT);
        Optional<Duration> hostRate = hostRates.get(key, this::configuredRate);
        try {
            // the job's own slot first: when it must wait, the host's shared slot is left for other jobs
            Duration wait = jobRate == null ? Duration.ZERO
                    : spacing.take("job:" + jobId, jobRate.perDuration().dividedBy(jobRate.limit()));
            if (wait.isZero() && hostRate.isPresent()) {
                wait = spacing.take(HOST_RATE + key, hostRate.get());
            }
            return wait;
        } catch (RuntimeException e) {
            // a rate that cannot be checked is not a rate that may be broken: wait and look again
            log.warn("Could not check the request rate of job {} or host {}: {}; the request waits", jobId, key, e.toString());
            return OUTAGE_WAIT;
        }
    }

    /**
     * A 429 that {@code owner}'s request to {@code url} got (Too Many Requests: the origin's word
     * that this caller should slow down — it may count by token, by account or by address, and
     * only the first is sure to be the caller's own; a 503's Retry-After stays with the request
     * that got it): every request of the owner to that origin waits, here at once and on other
     * nodes within a second. Other users are not paused: a 429 they could have caused on purpose
     * must not stop them.
     */
    public void throttled(UserId owner, URI url, Duration retryAfter) {
        Duration pause = retryAfter == null ? DEFAULT_PAUSE : retryAfter.compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : retryAfter;
        OriginPause key = new OriginPause(owner, Origin.of(url));
        pausedHere.merge(key, Instant.now().plus(pause), (a, b) -> a.isAfter(b) ? a : b);
        try {
            spacing.pause(PAUSE + key.storeKey(), pause);
        } catch (RuntimeException e) {
            // the other nodes hear of it from this owner's next 429 there; this request's retry goes on as it would
            log.warn("Could not share the pause of {} for user {} with the other nodes: {}", key.origin(), owner, e.toString());
        }
    }

    private Duration pausedFor(UserId owner, URI url) {
        Map<OriginPause, Instant> cluster = paused;
        if (cluster.isEmpty() && pausedHere.isEmpty()) {
            return Duration.ZERO; // nearly always: no key made
        }
        OriginPause key = new OriginPause(owner, Origin.of(url));
        Instant shared = cluster.get(key);
        Instant here = pausedHere.get(key);
        Instant until = shared == null ? here : here == null || shared.isAfter(here) ? shared : here;
        if (until == null) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(Instant.now(), until);
        return left.isNegative() || left.isZero() ? Duration.ZERO : left;
    }

    private Optional<Duration> configuredRate(String host) {
        String text = environment.getProperty("pollster.hosts." + host + ".rate");
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        Matcher m = RATE.matcher(text);
        try {
            if (m.matches() && Integer.parseInt(m.group(1)) > 0) {
                Duration per = m.group(2) == null ? Duration.ofSeconds(1) : Durations.parse(m.group(2));
                return Optional.of(per.dividedBy(Integer.parseInt(m.group(1))));
            }
        } catch (IllegalArgumentException e) {
            // said below
        }
        log.warn("pollster.hosts.{}.rate is \"{}\": not a rate such as 10/1s; requests to {} are not limited", host, text, host);
        return Optional.empty();
    }

    @Override
    protected Duration runOnce() {
        Map<OriginPause, Instant> read = new java.util.HashMap<>();
        spacing.pausedUnder(PAUSE).forEach((key, until) -> OriginPause.parse(key).ifPresent(pause -> read.put(pause, until)));
        paused = Map.copyOf(read);
        Instant now = Instant.now();
        pausedHere.values().removeIf(until -> until.isBefore(now));
        return REFRESH;
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.POLLER);
    }
}
