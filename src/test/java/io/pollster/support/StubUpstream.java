package io.pollster.support;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP upstream on 127.0.0.1 for tests. Each path answers from a function of the n-th
 * request to it (0-based), and every request is recorded.
 */
public final class StubUpstream implements AutoCloseable {

    /** @param raw the body as bytes, sent instead of {@code body} when not null (compressed bodies, bombs) */
    public record Answer(int status, String contentType, String body, Map<String, String> headers, long delayMillis,
                         byte[] raw) {
        public Answer(int status, String contentType, String body, Map<String, String> headers, long delayMillis) {
            this(status, contentType, body, headers, delayMillis, null);
        }

        public static Answer json(String body) {
            return new Answer(200, "application/json", body, Map.of(), 0);
        }

        public static Answer text(String body) {
            return new Answer(200, "text/plain; charset=utf-8", body, Map.of(), 0);
        }

        public static Answer status(int status) {
            return new Answer(status, "text/plain", "status " + status, Map.of(), 0);
        }

        public static Answer bytes(String contentType, byte[] body) {
            return new Answer(200, contentType, "", Map.of(), 0, body);
        }

        public Answer withHeader(String name, String value) {
            Map<String, String> all = new java.util.HashMap<>(headers);
            all.put(name, value);
            return new Answer(status, contentType, body, all, delayMillis, raw);
        }

        public Answer after(long millis) {
            return new Answer(status, contentType, body, headers, millis, raw);
        }
    }

    /** @param receivedAt when the request arrived ({@link System#nanoTime()}) */
    public record Request(String method, String path, String query, Headers headers, byte[] body, long receivedAt) {

        /** The value of one query parameter, or null. */
        public String param(String name) {
            return queryParams(query).get(name);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final HttpServer server;
    private final Map<String, java.util.function.BiFunction<Integer, Map<String, String>, Answer>> routes =
            new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> mostInFlight = new ConcurrentHashMap<>();

    public StubUpstream() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::answer);
        server.start();
    }

    public StubUpstream route(String path, Function<Integer, Answer> answers) {
        routes.put(path, (n, query) -> answers.apply(n));
        return this;
    }

    /** A route that answers by the request's query parameters (a paginated API). */
    public StubUpstream routeQuery(String path, Function<Map<String, String>, Answer> answers) {
        routes.put(path, (n, query) -> answers.apply(query));
        return this;
    }

    /** The request's query parameters, decoded (the first of a repeated name). */
    public static Map<String, String> queryParams(String query) {
        Map<String, String> params = new java.util.LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return params;
        }
        for (String pair : query.split("&")) {
            String[] kv = pair.split("=", 2);
            params.putIfAbsent(java.net.URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length > 1 ? java.net.URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return params;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public List<Request> requests(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    /** The most requests to the path that were being answered at the same time. */
    public int mostAtOnce(String path) {
        AtomicInteger most = mostInFlight.get(path);
        return most == null ? 0 : most.get();
    }

    private void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        long receivedAt = System.nanoTime();
        byte[] requestBody = exchange.getRequestBody().readAllBytes();
        String query = exchange.getRequestURI().getRawQuery();
        requests.add(new Request(exchange.getRequestMethod(), path, query, exchange.getRequestHeaders(), requestBody,
                receivedAt));
        int n = counts.computeIfAbsent(path, p -> new AtomicInteger()).getAndIncrement();
        int now = inFlight.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        mostInFlight.computeIfAbsent(path, p -> new AtomicInteger()).accumulateAndGet(now, Math::max);
        var route = routes.get(path);
        Answer answer = route == null ? Answer.status(404) : route.apply(n, queryParams(query));
        try {
            if (answer.delayMillis() > 0) {
                Thread.sleep(answer.delayMillis());
            }
            byte[] body = answer.raw() != null ? answer.raw() : answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            answer.headers().forEach(exchange.getResponseHeaders()::set);
            boolean empty = answer.status() == 304 || "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(answer.status(), empty ? -1 : body.length);
            if (!empty) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.get(path).decrementAndGet();
            exchange.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
