package io.pollster.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A paginated upstream for the {@code paging} scenario: the JDK's HTTP server on virtual threads,
 * on 127.0.0.1. {@code GET /pages?page=N&limit=10} answers, after a fixed server delay,
 * {@code {"count":<pages × 10>,"results":[…10 small objects…]}} — the same body for a page every
 * time, so a second run of a job finds its pages unchanged.
 *
 * <p>It counts the requests of every page number (the exactly-once check), and over the current
 * round ({@link #reset}) the wall-clock time of the first request's arrival and the last answer's
 * end, the requests in flight at most, and the time spent inside requests (for the mean
 * concurrency the client kept).
 */
final class PagesStub implements AutoCloseable {

    static final int PAGE_SIZE = 10;

    private final HttpServer server;
    private final ExecutorService executor;
    private final int pages;
    private final Duration delay;
    private final AtomicIntegerArray counts;
    private final LongAdder outOfRange = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final LongAdder busyNanos = new LongAdder();
    private final AtomicLong firstArrivalMillis = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong firstArrivalNanos = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastAnswerNanos = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong lastAnswerMillis = new AtomicLong(Long.MIN_VALUE);

    private PagesStub(HttpServer server, ExecutorService executor, int pages, Duration delay) {
        this.server = server;
        this.executor = executor;
        this.pages = pages;
        this.delay = delay;
        this.counts = new AtomicIntegerArray(pages + 1);
    }

    /** @param pages how many pages the upstream holds ({@code count} = pages × 10) */
    static PagesStub start(int pages, Duration delay) throws IOException {
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 4096);
        PagesStub stub = new PagesStub(server, executor, pages, delay);
        server.createContext("/pages", stub::handle);
        server.setExecutor(executor);
        server.start();
        return stub;
    }

    /** The job's URL: page 1, as an operator would paste it. */
    String firstPageUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/pages?page=1";
    }

    String pageUrl(int page) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/pages?page=" + page + "&limit=" + PAGE_SIZE;
    }

    int pages() {
        return pages;
    }

    Duration delay() {
        return delay;
    }

    /** Starts a new round: the counts and timings from zero. Call it while no request is in flight. */
    void reset() {
        for (int i = 0; i < counts.length(); i++) {
            counts.set(i, 0);
        }
        outOfRange.reset();
        malformed.reset();
        maxInFlight.set(inFlight.get());
        busyNanos.reset();
        firstArrivalMillis.set(Long.MAX_VALUE);
        firstArrivalNanos.set(Long.MAX_VALUE);
        lastAnswerNanos.set(Long.MIN_VALUE);
        lastAnswerMillis.set(Long.MIN_VALUE);
    }

    /** What the current round saw. */
    record Round(long requests, List<Integer> missing, List<Integer> repeated, long outOfRange, long malformed,
                 long firstArrivalEpochMillis, long lastAnswerEpochMillis, double seconds, int maxInFlight,
                 double meanInFlight) {

        boolean exactlyOnce() {
            return missing.isEmpty() && repeated.isEmpty() && outOfRange == 0 && malformed == 0;
        }

        /** {@code every page once} or what went wrong, with the first few page numbers. */
        String describe() {
            if (exactlyOnce()) {
                return "every page once";
            }
            List<String> problems = new ArrayList<>();
            if (!missing.isEmpty()) {
                problems.add(missing.size() + " pages never fetched " + head(missing));
            }
            if (!repeated.isEmpty()) {
                problems.add(repeated.size() + " pages fetched more than once " + head(repeated));
            }
            if (outOfRange > 0) {
                problems.add(outOfRange + " requests for pages beyond the last");
            }
            if (malformed > 0) {
                problems.add(malformed + " requests without a page number or with another limit");
            }
            return String.join(", ", problems);
        }

        private static String head(List<Integer> numbers) {
            return numbers.subList(0, Math.min(10, numbers.size())) + (numbers.size() > 10 ? "…" : "");
        }
    }

    /** The current round, for pages 1..{@code expected}. */
    Round round(int expected) {
        List<Integer> missing = new ArrayList<>();
        List<Integer> repeated = new ArrayList<>();
        long requests = 0;
        for (int page = 1; page <= pages; page++) {
            int n = counts.get(page);
            requests += n;
            if (page <= expected && n == 0) {
                missing.add(page);
            } else if (n > 1 || (page > expected && n > 0)) {
                repeated.add(page);
            }
        }
        long first = firstArrivalNanos.get();
        long last = lastAnswerNanos.get();
        double seconds = first == Long.MAX_VALUE || last == Long.MIN_VALUE ? Double.NaN : (last - first) / 1e9;
        return new Round(requests + outOfRange.sum() + malformed.sum(), missing, repeated, outOfRange.sum(), malformed.sum(),
                firstArrivalMillis.get(), lastAnswerMillis.get(), seconds, maxInFlight.get(),
                busyNanos.sum() / 1e9 / seconds);
    }

    private void handle(HttpExchange exchange) throws IOException {
        long arrived = System.nanoTime();
        firstArrivalNanos.accumulateAndGet(arrived, Math::min);
        firstArrivalMillis.accumulateAndGet(System.currentTimeMillis(), Math::min);
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try (exchange; InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
            int page = param(exchange.getRequestURI().getRawQuery(), "page");
            int limit = param(exchange.getRequestURI().getRawQuery(), "limit");
            if (page < 1 || (limit != -1 && limit != PAGE_SIZE)) {
                malformed.increment();
            } else if (page > pages) {
                outOfRange.increment();
            } else {
                counts.incrementAndGet(page);
            }
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            byte[] body = body(page).getBytes(StandardCharsets.US_ASCII);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        } finally {
            long done = System.nanoTime();
            busyNanos.add(done - arrived);
            lastAnswerNanos.accumulateAndGet(done, Math::max);
            lastAnswerMillis.accumulateAndGet(System.currentTimeMillis(), Math::max);
            inFlight.decrementAndGet();
        }
    }

    /** ~500 bytes: the total and ten items whose ids follow from the page number. */
    private String body(int page) {
        StringBuilder s = new StringBuilder(700).append("{\"count\":").append((long) pages * PAGE_SIZE).append(",\"results\":[");
        if (page >= 1 && page <= pages) {
            for (int i = 0; i < PAGE_SIZE; i++) {
                long id = (long) (page - 1) * PAGE_SIZE + i + 1;
                s.append(i == 0 ? "" : ",").append("{\"id\":").append(id).append(",\"name\":\"item-").append(id)
                        .append("\",\"price\":\"").append(10 + id % 90).append(".99\"}");
            }
        }
        return s.append("]}").toString();
    }

    /** The whole-number value of a query parameter; -1 when absent or not a number. */
    static int param(String rawQuery, String name) {
        if (rawQuery == null) {
            return -1;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                try {
                    return Integer.parseInt(pair.substring(eq + 1));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
