package io.pollster.output;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.pollster.system.loop.ShutdownPhase;
import io.pollster.system.web.ApiException;
import io.pollster.user.Caller;
import io.pollster.user.LiveCredentials;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /events/stream}: the caller's events as Server-Sent Events, from any api node,
 * whichever node committed them. Each is sent as {@code id} (the event id), {@code event} (its
 * type) and {@code data} (the event as webhooks get it). A client that reconnects with
 * {@code Last-Event-ID} gets what came after that event, without a gap or a repeat; one that does
 * not, what comes from now on. A comment line every {@code pollster.events.heartbeat} keeps proxies
 * from closing a quiet stream and finds out when the client has gone (a closed connection shows
 * only when a write fails), so a closed page or client frees its stream within seconds. A stream
 * ends, too, within {@code pollster.auth.recheck-interval} of its user, token or web UI session
 * being deleted on any node ({@link LiveCredentials}). Each stream holds one page of events at a
 * time, so a slow client slows only its own stream; a user may hold a few streams at once.
 */
@RestController
class EventStreamController implements SmartLifecycle {

    static final int PAGE = 100;
    static final int STREAMS_PER_USER = 5;

    private final EventFeed feed;
    private final LiveCredentials credentials;
    private final JsonMapper json;
    private final Duration pollInterval;
    private final Duration heartbeat;
    private final Map<UUID, AtomicInteger> streams = new ConcurrentHashMap<>();
    private volatile boolean running;

    EventStreamController(EventFeed feed, LiveCredentials credentials, JsonMapper json,
                          @Value("${pollster.events.stream-poll-interval:250ms}") Duration pollInterval,
                          @Value("${pollster.events.heartbeat:2s}") Duration heartbeat) {
        this.feed = feed;
        this.credentials = credentials;
        this.json = json;
        this.pollInterval = pollInterval;
        this.heartbeat = heartbeat;
    }

    @GetMapping(path = "/api/v1/events/stream")
    void stream(Caller caller, @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId,
                HttpServletRequest request, HttpServletResponse response) throws IOException, InterruptedException {
        if (caller.admin()) {
            throw ApiException.forbidden("The event stream is a user's own events; the admin has none (use a user's token)");
        }
        UUID owner = caller.userId().value();
        EventFeed.Position position = start(owner, lastEventId);
        AtomicInteger held = streams.computeIfAbsent(owner, k -> new AtomicInteger());
        if (held.incrementAndGet() > STREAMS_PER_USER) {
            held.decrementAndGet();
            throw ApiException.tooManyRequests("at most " + STREAMS_PER_USER + " event streams per user at once", Duration.ofSeconds(5));
        }
        try (LiveCredentials.Watch credential = credentials.watch(request)) {
            response.setContentType("text/event-stream");
            response.setCharacterEncoding("UTF-8");
            response.setHeader("Cache-Control", "no-store");
            response.setHeader("X-Accel-Buffering", "no");
            OutputStream out = response.getOutputStream();
            write(out, ": stream of your events; resume with Last-Event-ID\n\n");
            long lastWrite = System.nanoTime();
            while (running && credential.holds()) {
                List<EventFeed.FeedEvent> page = feed.after(owner, position, PAGE);
                for (EventFeed.FeedEvent event : page) {
                    write(out, "id: " + event.id() + "\nevent: " + event.type() + "\ndata: " + body(event) + "\n\n");
                    position = event.position();
                }
                if (!page.isEmpty()) {
                    lastWrite = System.nanoTime();
                } else if (System.nanoTime() - lastWrite >= heartbeat.toNanos()) {
                    write(out, ": keep-alive\n\n");
                    lastWrite = System.nanoTime();
                }
                if (page.size() < PAGE) {
                    Thread.sleep(pollInterval);
                }
            }
            if (!credential.holds()) {
                write(out, ": your token or session has ended\n\n");
            }
        } catch (IOException gone) {
            // the client went away
        } finally {
            held.decrementAndGet();
        }
    }

    private EventFeed.Position start(UUID owner, String lastEventId) {
        if (lastEventId == null || lastEventId.isBlank()) {
            return feed.now();
        }
        UUID id;
        try {
            id = UUID.fromString(lastEventId.strip());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("Last-Event-ID", "is not an event id");
        }
        // an event that is not the caller's, or no longer kept: from now on, as a fresh stream
        return feed.positionOf(owner, id).orElseGet(feed::now);
    }

    private String body(EventFeed.FeedEvent event) {
        ObjectNode body = json.createObjectNode();
        body.put("id", event.id().toString());
        body.put("type", event.type());
        body.put("jobId", event.jobId().toString());
        body.put("occurredAt", event.occurredAt().toString());
        body.set("data", json.readTree(event.data()));
        return json.writeValueAsString(body); // one line: JSON escapes line breaks inside strings
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void start() {
        running = true;
    }

    /** Ends every stream (clients reconnect elsewhere, with Last-Event-ID) before the web server stops. */
    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return ShutdownPhase.FIRING;
    }
}
