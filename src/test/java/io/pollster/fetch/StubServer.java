package io.pollster.fetch;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/** An upstream on a loopback address that records every request it receives. */
final class StubServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Received> received = new CopyOnWriteArrayList<>();

    private StubServer(InetAddress address) {
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("stubs listen on loopback only");
        }
        try {
            server = HttpServer.create(new InetSocketAddress(address, 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.start();
    }

    static StubServer on(String loopbackLiteral) {
        try {
            return new StubServer(InetAddress.getByName(loopbackLiteral));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Answers requests to this path (and below it) with the handler, after recording them. */
    StubServer route(String path, Handler handler) {
        server.createContext(path, exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders(), body));
            try (exchange) {
                handler.handle(exchange);
            } catch (IOException | RuntimeException e) {
                // the client went away mid-answer, which several tests cause on purpose
            }
        });
        return this;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** A URL on this stub, by its own address. */
    URI url(String path) {
        InetAddress address = server.getAddress().getAddress();
        String text = AddressPolicy.text(address);
        String host = text.contains(":") ? "[" + text + "]" : text;
        return URI.create("http://" + host + ":" + port() + path);
    }

    /** A URL on this stub's port, by another spelling of the host. */
    URI url(String host, String path) {
        return URI.create("http://" + host + ":" + port() + path);
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    Received only(String path) {
        return received.stream().filter(r -> r.path().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no request to " + path + "; got " + received));
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    static void respond(HttpExchange exchange, int status, Map<String, String> headers, String body) throws IOException {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        boolean empty = bytes.length == 0 || status == 304 || exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, empty ? -1 : bytes.length);
        if (!empty) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    static Handler answer(int status, Map<String, String> headers, String body) {
        return exchange -> respond(exchange, status, headers, body);
    }

    static Handler redirect(int status, String location) {
        return answer(status, Map.of("Location", location), "");
    }

    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    record Received(String method, String path, Headers headers, byte[] body) {

        String header(String name) {
            return headers.getFirst(name);
        }

        String bodyText() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
