package io.pollster.user;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import jakarta.servlet.ServletRequest;
import org.springframework.stereotype.Component;

/**
 * Re-checks the credentials of long-lived requests (event streams) against the database, so a
 * stream ends within {@code pollster.auth.recheck-interval} when its user, its token or its web UI
 * session is gone — deleted through any node, since only the database is asked. One round asks at
 * most two queries for all of this node's open streams together (none when no stream is open).
 */
@Component
public class LiveCredentials extends LoopService {

    private final Set<Watch> open = ConcurrentHashMap.newKeySet();
    private final UserRepository users;
    private final BrowserSessionRepository sessions;
    private final Clock clock;
    private final Duration interval;

    LiveCredentials(Loops loops, UserRepository users, BrowserSessionRepository sessions, Clock clock, AuthProperties properties) {
        super(loops, "credential-recheck", Duration.ofSeconds(1), ShutdownPhase.FIRING, Duration.ofSeconds(5));
        this.users = users;
        this.sessions = sessions;
        this.clock = clock;
        this.interval = properties.recheckInterval();
    }

    /**
     * Starts watching what proved the request's caller; close the watch when the request ends.
     *
     * @throws IllegalStateException when no token or session proved a caller on this request
     */
    public Watch watch(ServletRequest request) {
        Credential credential = (Credential) request.getAttribute(Credential.ATTRIBUTE);
        if (credential == null) {
            throw new IllegalStateException("No credential on this request: nothing to watch");
        }
        Watch watch = new Watch(credential);
        if (credential.kind() != Credential.Kind.ADMIN) { // the admin token changes only with a restart
            open.add(watch);
        }
        return watch;
    }

    /** One request's credential: {@link #holds()} turns false for good once a check found it gone. */
    public final class Watch implements AutoCloseable {
        private final Credential credential;
        private volatile boolean revoked;

        private Watch(Credential credential) {
            this.credential = credential;
        }

        public boolean holds() {
            return !revoked;
        }

        @Override
        public void close() {
            open.remove(this);
        }
    }

    @Override
    protected Duration runOnce() {
        List<Watch> watches = List.copyOf(open);
        if (watches.isEmpty()) {
            return interval;
        }
        Map<Credential.Kind, Map<String, byte[]>> asked = new HashMap<>();
        for (Watch watch : watches) {
            asked.computeIfAbsent(watch.credential.kind(), k -> new HashMap<>()).put(watch.credential.key(), watch.credential.hash());
        }
        Set<String> live = new HashSet<>();
        Map<String, byte[]> tokens = asked.getOrDefault(Credential.Kind.TOKEN, Map.of());
        if (!tokens.isEmpty()) {
            users.existingTokenHashes(tokens.values()).forEach(h -> live.add(new Credential(Credential.Kind.TOKEN, h).key()));
        }
        Map<String, byte[]> ids = asked.getOrDefault(Credential.Kind.SESSION, Map.of());
        if (!ids.isEmpty()) {
            sessions.liveIdHashes(ids.values(), clock.instant()).forEach(h -> live.add(new Credential(Credential.Kind.SESSION, h).key()));
        }
        for (Watch watch : watches) {
            if (!live.contains(watch.credential.key())) {
                watch.revoked = true;
                open.remove(watch);
            }
        }
        return interval;
    }
}
