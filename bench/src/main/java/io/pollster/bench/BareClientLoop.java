package io.pollster.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * The poll path's yardstick: the client Pollster polls with (Apache HttpClient 5, classic), the
 * same concurrency (64 requests in flight, on virtual threads) and the same per-host bound (8
 * connections per host), fetching the same stub resources round-robin and reading every body —
 * and nothing else: no queue, no database, no hashing.
 */
final class BareClientLoop {

    private BareClientLoop() {
    }

    record Measured(double requestsPerSecond, long errors) {
    }

    static Measured run(StubUpstream stub, int resources, int concurrency, int perHost, boolean conditional,
                        Duration warmup, Duration window) throws Exception {
        LongAdder done = new LongAdder();
        LongAdder errors = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentHashMap<Integer, String> etags = new ConcurrentHashMap<>();
        try (CloseableHttpClient client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnPerRoute(perHost)
                        .setMaxConnTotal(10_000)
                        .build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .build()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < concurrency; t++) {
                int first = t;
                threads.add(Thread.ofVirtual().name("bare-" + t).start(() -> {
                    for (long k = first; running.get(); k += concurrency) {
                        int i = (int) (k % resources);
                        HttpGet get = new HttpGet(stub.url(i));
                        String etag = conditional ? etags.get(i) : null;
                        if (etag != null) {
                            get.setHeader("If-None-Match", etag);
                        }
                        try {
                            client.execute(get, response -> {
                                if (response.getEntity() != null) {
                                    EntityUtils.toByteArray(response.getEntity());
                                }
                                Header tag = response.getFirstHeader("ETag");
                                if (conditional && tag != null) {
                                    etags.put(i, tag.getValue());
                                }
                                return null;
                            });
                            done.increment();
                        } catch (Exception e) {
                            errors.increment();
                        }
                    }
                }));
            }
            Thread.sleep(warmup);
            long before = done.sum();
            long start = System.nanoTime();
            Thread.sleep(window);
            long after = done.sum();
            double seconds = (System.nanoTime() - start) / 1e9;
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
            return new Measured((after - before) / seconds, errors.sum());
        }
    }
}
