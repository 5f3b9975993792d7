package io.pollster.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A fast upstream for polls: the JDK's HTTP server on virtual threads, listening on one port of
 * several loopback addresses (127.0.0.1, 127.0.0.2, …) so that they count as distinct hosts. Every
 * path answers the same ~1 KiB of JSON carrying the path's version; a request changes that version
 * with probability {@code changeFraction}. With {@code etag}, answers carry {@code ETag: "<version>"}
 * and a matching {@code If-None-Match} gets a bodiless 304.
 */
final class StubUpstream implements AutoCloseable {

    private static final byte[] PREFIX = "{\"version\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUFFIX = suffix();

    private final List<HttpServer> servers;
    private final ExecutorService executor;
    private final int port;
    private final double changeFraction;
    private final boolean etag;
    private final ConcurrentHashMap<String, AtomicLong> versions = new ConcurrentHashMap<>();
    private final LongAdder requests = new LongAdder();

    private StubUpstream(List<HttpServer> servers, ExecutorService executor, int port, double changeFraction, boolean etag) {
        this.servers = servers;
        this.executor = executor;
        this.port = port;
        this.changeFraction = changeFraction;
        this.etag = etag;
    }

    static StubUpstream start(int hosts, double changeFraction, boolean etag) throws IOException {
        for (int attempt = 0; ; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                port = probe.getLocalPort();
            }
            ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
            List<HttpServer> servers = new ArrayList<>();
            StubUpstream stub = new StubUpstream(servers, executor, port, changeFraction, etag);
            try {
                for (int h = 1; h <= hosts; h++) {
                    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0." + h), port), 4096);
                    server.createContext("/", stub::handle);
                    server.setExecutor(executor);
                    server.start();
                    servers.add(server);
                }
                return stub;
            } catch (BindException taken) {
                // another process has this port on one of the other loopback addresses: try another
                stub.close();
                if (attempt >= 10) {
                    throw taken;
                }
            }
        }
    }

    int hosts() {
        return servers.size();
    }

    /** The URL of resource {@code i}, spread round-robin over the hosts. */
    String url(int i) {
        return "http://127.0.0." + (1 + i % servers.size()) + ":" + port + "/r/" + i;
    }

    long requests() {
        return requests.sum();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
            requests.increment();
            AtomicLong version = versions.computeIfAbsent(exchange.getRequestURI().getPath(), p -> new AtomicLong());
            long current = changeFraction > 0 && ThreadLocalRandom.current().nextDouble() < changeFraction
                    ? version.incrementAndGet() : version.get();
            String tag = "\"" + current + "\"";
            if (etag) {
                exchange.getResponseHeaders().set("ETag", tag);
                if (tag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                    exchange.sendResponseHeaders(304, -1);
                    return;
                }
            }
            byte[] number = Long.toString(current).getBytes(StandardCharsets.US_ASCII);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, PREFIX.length + number.length + SUFFIX.length);
            OutputStream out = exchange.getResponseBody();
            out.write(PREFIX);
            out.write(number);
            out.write(SUFFIX);
        }
    }

    /** The rest of the ~1 KiB body: a fixed list of items. */
    static byte[] suffix() {
        StringBuilder s = new StringBuilder(",\"items\":[");
        for (int i = 0; i < 16; i++) {
            s.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"name\":\"item-").append(i)
                    .append("\",\"price\":\"").append(10 + i).append(".99\",\"tags\":[\"a\",\"b\"]}");
        }
        return s.append("]}").toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        servers.forEach(s -> s.stop(0));
        executor.shutdownNow();
    }
}
