package io.pollster.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.pollster.system.web.ApiException;
import io.pollster.user.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
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

    private final IngestService ingest;
    private final IngestPipeline pipeline;
    private final IngestGate gate;
    private final MessageParser parser;

    MessageController(IngestService ingest, IngestPipeline pipeline, IngestGate gate, IngestProperties properties,
                      JsonMapper json) {
        this.ingest = ingest;
        this.pipeline = pipeline;
        this.gate = gate;
        this.parser = new MessageParser(json, properties.maxBatch());
    }

    /**
     * 201 only once every message is durably enqueued; one bad entry and nothing is. The answer is
     * written directly: content negotiation and a message converter per request showed in the
     * ingest profile, for a body that is always the same small JSON.
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
        // the body is capped at pollster.ingest.max-request-size by RequestSizeLimit (413 beyond)
        List<MessageParser.Message> messages = parser.parse(request.getInputStream().readAllBytes());
        int accepted = ingest.accept(caller, messages);
        byte[] body = ("{\"accepted\":" + accepted + "}").getBytes(StandardCharsets.US_ASCII);
        response.setStatus(HttpStatus.CREATED.value());
        response.setHeader(HttpHeaders.LOCATION, "/api/v1/messages");
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** Every shard worker of this process, retired ones too. Infrastructure only: no user data. */
    @GetMapping("/workers")
    Workers workers() {
        return new Workers(pipeline.workers(), null);
    }

    record Workers(List<WorkerView> items, String nextCursor) {
    }
}
