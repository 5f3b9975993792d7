package io.pollster.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * The pagination yardstick: a count-first walk with nothing else — page 1 alone, its
 * {@code count} read, then pages 2..N by {@code parallelism} virtual threads taking the next
 * number, with the client Pollster fetches with (Apache HttpClient 5 classic, as many connections
 * to the host as threads), reading every body. No queue, no database, no hashing.
 */
final class PagingBareLoop {

    private static final Pattern COUNT = Pattern.compile("\"count\":(\\d+)");

    private PagingBareLoop() {
    }

    /** @param seconds from sending page 1 to the last page's body read */
    record Walk(int pages, double seconds, long errors) {
        double pagesPerSecond() {
            return pages / seconds;
        }
    }

    /** One client for several walks, so that later walks reuse warm connections, as Pollster's client does. */
    static CloseableHttpClient client(int parallelism) {
        return HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnPerRoute(parallelism)
                        .setMaxConnTotal(parallelism)
                        .build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .build();
    }

    static Walk walk(CloseableHttpClient client, PagesStub stub, int parallelism) throws Exception {
        LongAdder errors = new LongAdder();
        long start = System.nanoTime();
        String first = get(client, stub.pageUrl(1));
        Matcher count = COUNT.matcher(first);
        if (!count.find()) {
            throw new IOException("page 1 has no count: " + first);
        }
        int pages = (int) ((Long.parseLong(count.group(1)) + PagesStub.PAGE_SIZE - 1) / PagesStub.PAGE_SIZE);
        AtomicInteger next = new AtomicInteger(2);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < parallelism; t++) {
            threads.add(Thread.ofVirtual().name("bare-page-" + t).start(() -> {
                for (int page = next.getAndIncrement(); page <= pages; page = next.getAndIncrement()) {
                    try {
                        get(client, stub.pageUrl(page));
                    } catch (Exception e) {
                        errors.increment();
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return new Walk(pages, (System.nanoTime() - start) / 1e9, errors.sum());
    }

    private static String get(CloseableHttpClient client, String url) throws IOException {
        return client.execute(new HttpGet(url), response -> {
            if (response.getCode() != 200) {
                throw new IOException(url + " answered " + response.getCode());
            }
            return EntityUtils.toString(response.getEntity());
        });
    }
}
