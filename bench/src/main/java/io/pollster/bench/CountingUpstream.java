package io.pollster.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.zip.GZIPOutputStream;

/**
 * An upstream that counts what it costs: a small HTTP/1.1 server on 127.0.0.1 (keep-alive, one
 * virtual thread per connection) that builds every answer — status line, headers and body — as
 * bytes and counts exactly what it writes to the socket, per resource, and what it reads (request
 * line, headers, body). The JDK's {@code HttpServer} writes its headers out of sight, so with it the
 * header bytes could only be estimated.
 *
 * <p>A resource is a path and its {@link Behaviour}: whether answers carry an {@code ETag} (then a
 * matching {@code If-None-Match} gets a bodiless 304), whether the body is gzip-compressed for a
 * client that accepts it, and whether it changes on a clock — version {@code n} from
 * {@code n × changeEvery} after {@link #restartClock()}. The body is ~1 KiB of JSON carrying the
 * version, as in {@link StubUpstream}. The headers are the few a plain API server sends ({@code Date},
 * {@code Server}, {@code Content-Type}, {@code Cache-Control}, {@code Content-Length}, and
 * {@code ETag}, {@code Content-Encoding}, {@code Vary} when they apply): real servers often send
 * more, which makes every answer — a 304 above all — cost more than here.
 */
final class CountingUpstream implements AutoCloseable {

    /**
     * @param etag        answers carry {@code ETag: "v<version>"}; a matching {@code If-None-Match} gets a 304
     * @param gzip        the body is gzip-compressed when the request's {@code Accept-Encoding} names gzip
     * @param changeEvery a new version this often after {@link #restartClock()}; null: the body never changes
     */
    record Behaviour(boolean etag, boolean gzip, Duration changeEvery) {
    }

    /** What a resource cost so far; {@link #minus} gives a window's share. */
    record Tally(long requests, long ok, long notModified, long bytesSent, long bodyBytesSent, long bytesReceived) {

        static final Tally NONE = new Tally(0, 0, 0, 0, 0, 0);

        Tally minus(Tally earlier) {
            return new Tally(requests - earlier.requests, ok - earlier.ok, notModified - earlier.notModified,
                    bytesSent - earlier.bytesSent, bodyBytesSent - earlier.bodyBytesSent, bytesReceived - earlier.bytesReceived);
        }

        /** Status lines and headers: everything sent that is not a body. */
        long headerBytesSent() {
            return bytesSent - bodyBytesSent;
        }

        Map<String, Object> figures() {
            Map<String, Object> f = new java.util.LinkedHashMap<>();
            f.put("requests", requests);
            f.put("answers200", ok);
            f.put("answers304", notModified);
            f.put("bytesSent", bytesSent);
            f.put("headerBytesSent", headerBytesSent());
            f.put("bodyBytesSent", bodyBytesSent);
            f.put("bytesReceived", bytesReceived);
            return f;
        }
    }

    private static final int MAX_HEAD = 64 * 1024;
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH);
    private static final byte[] ITEMS = StubUpstream.suffix(); // the rest of the body, as the poll path's stub answers

    private final ServerSocket server;
    private final LongSupplier nanoClock;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Map<String, Resource> resources = new ConcurrentHashMap<>();
    private final LongAdder unknown = new LongAdder();
    private volatile long epochNanos;
    private volatile boolean closed;

    private CountingUpstream(ServerSocket server, LongSupplier nanoClock) {
        this.server = server;
        this.nanoClock = nanoClock;
        this.epochNanos = nanoClock.getAsLong();
    }

    static CountingUpstream start() throws IOException {
        return start(System::nanoTime);
    }

    /** @param nanoClock the time in nanoseconds, as {@link System#nanoTime()} tells it (a test sets its own) */
    static CountingUpstream start(LongSupplier nanoClock) throws IOException {
        CountingUpstream upstream = new CountingUpstream(new ServerSocket(0, 1024, InetAddress.getByName("127.0.0.1")), nanoClock);
        upstream.executor.submit(upstream::acceptLoop);
        return upstream;
    }

    /** Serves {@code path} (no query) with this behaviour from now on; other paths answer 404. */
    void serve(String path, Behaviour behaviour) {
        resources.put(path, new Resource(behaviour));
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    /** Version 0 from now; a changing resource is at version {@code n} from {@code n × changeEvery} on. */
    void restartClock() {
        epochNanos = nanoClock.getAsLong();
        resources.values().forEach(r -> r.firstServed.clear());
    }

    /** The clock's time ({@link System#nanoTime()}) at the last {@link #restartClock()}. */
    long epochNanos() {
        return epochNanos;
    }

    Tally tally(String path) {
        Resource r = resources.get(path);
        return r == null ? Tally.NONE : r.tally();
    }

    /** Requests for paths no resource serves (a harness error when not 0). */
    long unknownRequests() {
        return unknown.sum();
    }

    /**
     * How late the client saw each change: for every version after the first whose change came
     * before {@code untilNanos}, the time from the change to the first 200 carrying it — or, for a
     * change no answer carried by then, the time from the change to {@code untilNanos} (and it
     * counts as missed).
     */
    Lags lags(String path, long untilNanos) {
        Resource r = resources.get(path);
        Duration every = r.behaviour.changeEvery();
        List<Duration> seen = new ArrayList<>();
        int missed = 0;
        for (long v = 1; epochNanos + v * every.toNanos() < untilNanos; v++) {
            long changedAt = epochNanos + v * every.toNanos();
            Long first = r.firstServed.get(v);
            if (first == null || first > untilNanos) {
                missed++;
                seen.add(Duration.ofNanos(untilNanos - changedAt));
            } else {
                seen.add(Duration.ofNanos(first - changedAt));
            }
        }
        return new Lags(seen, missed);
    }

    /** @param lags one per change, in order; those of missed changes run to the end of the window */
    record Lags(List<Duration> lags, int missed) {

        double meanSeconds() {
            return lags.stream().mapToLong(Duration::toMillis).average().orElse(Double.NaN) / 1000;
        }

        double maxSeconds() {
            return lags.stream().mapToLong(Duration::toMillis).max().orElse(0) / 1000.0;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                connections.add(socket);
                executor.submit(() -> converse(socket));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("counting upstream: accept failed: " + e);
                }
            }
        }
    }

    /** One connection: requests one after the other until the client closes it or asks to. */
    private void converse(Socket socket) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream()); OutputStream out = socket.getOutputStream()) {
            while (!closed) {
                Request request = Request.read(in);
                if (request == null) {
                    return;
                }
                Resource resource = resources.get(request.path());
                byte[] answer;
                if (resource == null) {
                    unknown.increment();
                    answer = notFound();
                } else {
                    answer = resource.answer(request, nanoClock.getAsLong());
                }
                out.write(answer);
                out.flush();
                if (request.closeAfter()) {
                    return;
                }
            }
        } catch (SocketException gone) {
            // the client closed the connection, or the stub is closing
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                System.err.println("counting upstream: connection failed: " + e);
            }
        } finally {
            connections.remove(socket);
        }
    }

    /** A request as read: its path, the headers that matter here, and the bytes it took on the wire. */
    record Request(String path, String ifNoneMatch, boolean acceptsGzip, boolean closeAfter, long bytes) {

        /** @return null at the end of the stream (the client closed the connection between requests) */
        static Request read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream(512);
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    if (head.size() == 0) {
                        return null;
                    }
                    throw new IOException("the request ended inside its head");
                }
                head.write(b);
                matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
                if (head.size() > MAX_HEAD) {
                    throw new IOException("request head over " + MAX_HEAD + " bytes");
                }
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            String[] start = lines[0].split(" ");
            if (start.length != 3) {
                throw new IOException("not an HTTP request line: " + lines[0]);
            }
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
                }
            }
            long length = headers.containsKey("content-length") ? Long.parseLong(headers.get("content-length")) : 0;
            in.skipNBytes(length);
            String target = start[1];
            int query = target.indexOf('?');
            String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
            boolean close = connection.contains("close") || start[2].equals("HTTP/1.0") && !connection.contains("keep-alive");
            return new Request(query < 0 ? target : target.substring(0, query), headers.get("if-none-match"),
                    headers.getOrDefault("accept-encoding", "").toLowerCase(Locale.ROOT).contains("gzip"), close,
                    head.size() + length);
        }
    }

    private final class Resource {

        private final Behaviour behaviour;
        private final LongAdder requests = new LongAdder();
        private final LongAdder ok = new LongAdder();
        private final LongAdder notModified = new LongAdder();
        private final LongAdder bytesSent = new LongAdder();
        private final LongAdder bodyBytesSent = new LongAdder();
        private final LongAdder bytesReceived = new LongAdder();
        /** version → {@link System#nanoTime()} of the first 200 that carried it */
        private final Map<Long, Long> firstServed = new ConcurrentHashMap<>();

        Resource(Behaviour behaviour) {
            this.behaviour = behaviour;
        }

        Tally tally() {
            return new Tally(requests.sum(), ok.sum(), notModified.sum(), bytesSent.sum(), bodyBytesSent.sum(), bytesReceived.sum());
        }

        byte[] answer(Request request, long now) throws IOException {
            long version = behaviour.changeEvery() == null ? 0 : Math.max(0, (now - epochNanos) / behaviour.changeEvery().toNanos());
            boolean gzip = behaviour.gzip() && request.acceptsGzip();
            String tag = "\"v" + version + (gzip ? "-gzip" : "") + "\"";
            StringBuilder head = new StringBuilder(256);
            boolean unchanged = behaviour.etag() && tag.equals(request.ifNoneMatch());
            byte[] body = unchanged ? new byte[0] : body(version, gzip);
            head.append(unchanged ? "HTTP/1.1 304 Not Modified" : "HTTP/1.1 200 OK").append("\r\n");
            head.append("Date: ").append(HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
            head.append("Server: pollster-bench\r\n");
            if (!unchanged) {
                head.append("Content-Type: application/json\r\n");
            }
            head.append("Cache-Control: no-cache\r\n");
            if (behaviour.etag()) {
                head.append("ETag: ").append(tag).append("\r\n");
            }
            if (behaviour.gzip()) {
                head.append("Vary: Accept-Encoding\r\n");
            }
            if (gzip && !unchanged) {
                head.append("Content-Encoding: gzip\r\n");
            }
            if (!unchanged) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            byte[] headBytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] answer = new byte[headBytes.length + body.length];
            System.arraycopy(headBytes, 0, answer, 0, headBytes.length);
            System.arraycopy(body, 0, answer, headBytes.length, body.length);
            requests.increment();
            (unchanged ? notModified : ok).increment();
            bytesSent.add(answer.length);
            bodyBytesSent.add(body.length);
            bytesReceived.add(request.bytes());
            if (!unchanged) {
                firstServed.putIfAbsent(version, now);
            }
            return answer;
        }
    }

    private static byte[] body(long version, boolean gzip) throws IOException {
        ByteArrayOutputStream plain = new ByteArrayOutputStream(ITEMS.length + 32);
        plain.writeBytes(("{\"version\":" + version).getBytes(StandardCharsets.US_ASCII));
        plain.writeBytes(ITEMS);
        if (!gzip) {
            return plain.toByteArray();
        }
        ByteArrayOutputStream packed = new ByteArrayOutputStream(512);
        try (GZIPOutputStream out = new GZIPOutputStream(packed)) {
            plain.writeTo(out);
        }
        return packed.toByteArray();
    }

    private static byte[] notFound() {
        return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket socket : connections) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        executor.shutdownNow();
    }
}
