package io.pollster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class CountingUpstreamTest {

    @Test
    void countsEveryByteItWritesAndAnswersAMatchingEtagWith304() throws Exception {
        try (CountingUpstream stub = CountingUpstream.start()) {
            stub.serve("/r", new CountingUpstream.Behaviour(true, false, null));
            URI url = URI.create(stub.url("/r"));
            try (Socket socket = new Socket(url.getHost(), url.getPort())) {
                String first = exchange(socket, "GET /r?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", true);
                assertTrue(first.startsWith("HTTP/1.1 200 OK\r\n"), first);
                assertTrue(first.contains("ETag: \"v0\"\r\n"), first);
                assertTrue(first.endsWith("]}"), first);
                String second = exchange(socket, "GET /r HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v0\"\r\n\r\n", false);
                assertTrue(second.startsWith("HTTP/1.1 304 Not Modified\r\n"), second);
                CountingUpstream.Tally t = stub.tally("/r");
                assertEquals(2, t.requests());
                assertEquals(1, t.ok());
                assertEquals(1, t.notModified());
                assertEquals(first.length() + second.length(), t.bytesSent());
                assertEquals(first.length() - first.indexOf("\r\n\r\n") - 4, t.bodyBytesSent());
                assertEquals(("GET /r?x=1 HTTP/1.1\r\nHost: h\r\n\r\n" + "GET /r HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v0\"\r\n\r\n")
                        .length(), t.bytesReceived());
            }
        }
    }

    @Test
    void changesVersionOnItsClockAndTellsHowLateEachChangeWasSeen() throws Exception {
        AtomicLong now = new AtomicLong(Duration.ofHours(1).toNanos());
        try (CountingUpstream stub = CountingUpstream.start(now::get)) {
            stub.serve("/c", new CountingUpstream.Behaviour(false, true, Duration.ofMillis(200)));
            stub.restartClock();
            URI url = URI.create(stub.url("/c"));
            try (Socket socket = new Socket(url.getHost(), url.getPort())) {
                String zero = exchange(socket, "GET /c HTTP/1.1\r\nAccept-Encoding: gzip, deflate\r\n\r\n", true);
                assertTrue(zero.contains("Content-Encoding: gzip\r\n"), zero);
                now.addAndGet(Duration.ofMillis(250).toNanos());
                String one = exchange(socket, "GET /c HTTP/1.1\r\n\r\n", true);
                assertTrue(one.startsWith("HTTP/1.1 200 OK\r\n") && one.contains("{\"version\":1,"), one);
            }
            CountingUpstream.Lags lags = stub.lags("/c", stub.epochNanos() + Duration.ofMillis(450).toNanos());
            // the change at 200 ms was seen at 250 ms; nobody asked after the one at 400 ms
            assertEquals(List.of(Duration.ofMillis(50), Duration.ofMillis(50)), lags.lags());
            assertEquals(1, lags.missed());
            assertEquals(0, stub.unknownRequests());
        }
    }

    /** Sends one request and reads its answer: the head, then Content-Length bytes of body (none for a 304). */
    private static String exchange(Socket socket, String request, boolean hasBody) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        while (!answer.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            answer.write(in.read());
        }
        String head = answer.toString(StandardCharsets.ISO_8859_1);
        if (hasBody) {
            int at = head.indexOf("Content-Length: ") + "Content-Length: ".length();
            int length = Integer.parseInt(head.substring(at, head.indexOf("\r\n", at)));
            answer.write(in.readNBytes(length));
        }
        return answer.toString(StandardCharsets.ISO_8859_1);
    }
}
