package io.pollster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class PagesStubTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void countsEveryPageAndTellsMissingFromRepeated() throws Exception {
        try (PagesStub stub = PagesStub.start(3, Duration.ZERO)) {
            String first = get(stub.firstPageUrl());
            assertTrue(first.startsWith("{\"count\":30,\"results\":[{\"id\":1,"), first);
            get(stub.pageUrl(2));
            get(stub.pageUrl(2));
            PagesStub.Round round = stub.round(3);
            assertFalse(round.exactlyOnce());
            assertEquals(List.of(3), round.missing());
            assertEquals(List.of(2), round.repeated());
            assertEquals(3, round.requests());

            stub.reset();
            for (int page = 1; page <= 3; page++) {
                get(stub.pageUrl(page));
            }
            assertTrue(stub.round(3).exactlyOnce(), stub.round(3).describe());
            get(stub.pageUrl(4));
            assertEquals(1, stub.round(3).outOfRange());
        }
    }

    @Test
    void readsQueryParameters() {
        assertEquals(12, PagesStub.param("page=12&limit=10", "page"));
        assertEquals(10, PagesStub.param("page=12&limit=10", "limit"));
        assertEquals(-1, PagesStub.param("page=x", "page"));
        assertEquals(-1, PagesStub.param(null, "page"));
    }

    private String get(String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }
}
