package io.pollster.ingest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.pollster.system.memory.ByteBudget;
import io.pollster.system.web.ApiException;
import io.pollster.user.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

@RestController
@RequestMapping("/api/v1")
class MessageController {

    private static final Logger log = LoggerFactory.getLogger(MessageController.class);
    /** A large or chunked body is read, and its reservation grown, this many bytes at a time. */
    static final int CHUNK = 64 * 1024;
    /** A large body must keep arriving: after this grace, at {@link #MIN_RATE} bytes a second on average. */
    static final Duration RATE_GRACE = Duration.ofSeconds(10);
    static final long MIN_RATE = 16 * 1024;

    private final IngestService ingest;
    private final IngestPipeline pipeline;
    private final IngestGate gate;
    private final MessageParser parser;
    private final ByteBudget budget;
    private final Duration memoryWait;

    MessageController(IngestService ingest, IngestPipeline pipeline, IngestGate gate, IngestProperties properties,
                      JsonMapper json, ByteBudget budget) {
        this.ingest = ingest;
        this.pipeline = pipeline;
        this.gate = gate;
        this.parser = new MessageParser(json, properties.maxBatch());
        this.budget = budget;
        this.memoryWait = properties.memoryWait();
        if (budget.perTenant() < properties.maxRequestSize().toBytes()) {
            log.warn("pollster.memory.per-user ({} bytes) is smaller than pollster.ingest.max-request-size ({} bytes): "
                    + "POST /messages bodies larger than one user's share are refused with 413", budget.perTenant(),
                    properties.maxRequestSize().toBytes());
        }
    }

    /**
     * 201 only once every message is durably enqueued; one bad entry and nothing is. The answer is
     * written directly: content negotiation and a message converter per request showed in the
     * ingest profile, for a body that is always the same small JSON.
     *
     * <p>The body's bytes are reserved from the in-flight budget as they arrive (a declared length
     * is not trusted with more than one chunk) and held until the answer is written, so the
     * number of concurrent requests cannot add up to more memory than the budget, nor one user's
     * requests to more than their share of it; when it is spent, the request is answered 503 and
     * nothing is enqueued. A large body sent slower than {@value #MIN_RATE} bytes a second is
     * answered 408.
     */
    @PostMapping("/messages")
    void post(Caller caller, HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (caller.admin()) {
            throw ApiException.forbidden("Messages are sent by users; use a user's token");
        }
        gate.requireOpen();
        if (request.getContentType() == null || !MediaType.APPLICATION_JSON.isCompatibleWith(MediaType.parseMediaType(request.getContentType()))) {
            throw new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Send the messages as application/json", List.of());
        }
        long declared = request.getContentLengthLong();
        boolean small = declared >= 0 && declared <= CHUNK;
        if (declared > budget.perTenant()) {
            // waiting could never help: refuse it as too large, not as busy
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "The request body is larger than the " + budget.perTenant()
                    + " bytes this Pollster holds in memory at once for one user (pollster.memory.per-user); send fewer"
                    + " messages per request", List.of());
        }
        try (ByteBudget.Reservation reservation = reserve(caller.userId().value(), small ? declared : CHUNK)) {
            // the body is capped at pollster.ingest.max-request-size by RequestSizeLimit (413 beyond)
            List<MessageParser.Message> messages = small
                    ? parser.parse(request.getInputStream().readNBytes(Math.toIntExact(declared)))
                    : parser.parse(readChunked(request.getInputStream(), reservation));
            int accepted = ingest.accept(caller, messages);
            byte[] body = ("{\"accepted\":" + accepted + "}").getBytes(StandardCharsets.US_ASCII);
            response.setStatus(HttpStatus.CREATED.value());
            response.setHeader(HttpHeaders.LOCATION, "/api/v1/messages");
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        }
    }

    private ByteBudget.Reservation reserve(Object sender, long bytes) {
        ByteBudget.Reservation reservation;
        try {
            reservation = budget.reserve(sender, bytes, memoryWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw busy();
        }
        if (reservation == null) {
            throw busy();
        }
        return reservation;
    }

    /**
     * A large body, or one without a length: the reservation grows a chunk ahead of what is read,
     * without waiting, and the body must keep arriving at {@link #MIN_RATE}.
     */
    private InputStream readChunked(InputStream in, ByteBudget.Reservation reservation) throws IOException {
        List<InputStream> chunks = new ArrayList<>();
        long started = System.nanoTime();
        long read = 0;
        while (true) {
            if (read + CHUNK > reservation.bytes() && !reservation.tryGrow(CHUNK)) {
                throw busy();
            }
            byte[] chunk = new byte[CHUNK];
            int filled = 0;
            for (int n; filled < CHUNK && (n = in.read(chunk, filled, CHUNK - filled)) != -1; ) {
                filled += n;
                read += n;
                if (System.nanoTime() - started > RATE_GRACE.toNanos() + read * 1_000_000_000L / MIN_RATE) {
                    throw new ApiException(HttpStatus.REQUEST_TIMEOUT, "The request body arrived slower than " + MIN_RATE
                            + " bytes a second; nothing of it was enqueued", List.of());
                }
            }
            chunks.add(new ByteArrayInputStream(chunk, 0, filled));
            if (filled < CHUNK) {
                return new SequenceInputStream(Collections.enumeration(chunks));
            }
        }
    }

    private ApiException busy() {
        return ApiException.unavailable("Pollster is busy: too many bytes are in flight to take this request now, and "
                + "nothing of it was enqueued; send it again after the Retry-After delay", memoryWait);
    }

    /** Every shard worker of this process, retired ones too. Infrastructure only: no user data. */
    @GetMapping("/workers")
    Workers workers() {
        return new Workers(pipeline.workers(), null);
    }

    record Workers(List<WorkerView> items, String nextCursor) {
    }
}
