package io.pollster.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;

import io.pollster.system.web.ApiException;
import io.pollster.user.Caller;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
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
    private final long maxBytes;

    MessageController(IngestService ingest, IngestPipeline pipeline, IngestGate gate, IngestProperties properties,
                      JsonMapper json) {
        this.ingest = ingest;
        this.pipeline = pipeline;
        this.gate = gate;
        this.parser = new MessageParser(json, properties.maxBatch());
        this.maxBytes = properties.maxRequestSize().toBytes();
    }

    /** 201 only once every message is durably enqueued; one bad entry and nothing is. */
    @PostMapping("/messages")
    ResponseEntity<Accepted> post(Caller caller, HttpServletRequest request) throws IOException {
        if (caller.admin()) {
            throw ApiException.forbidden("Messages are sent by users; use a user's token");
        }
        gate.requireOpen();
        if (request.getContentType() == null || !MediaType.APPLICATION_JSON.isCompatibleWith(MediaType.parseMediaType(request.getContentType()))) {
            throw new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Send the messages as application/json", List.of());
        }
        if (request.getContentLengthLong() > maxBytes) {
            throw tooLarge();
        }
        List<MessageParser.Message> messages = parser.parse(readAtMost(request.getInputStream(), maxBytes));
        int accepted = ingest.accept(caller, messages);
        return ResponseEntity.created(URI.create("/api/v1/messages")).body(new Accepted(accepted));
    }

    /** Every shard worker of this process, retired ones too. Infrastructure only: no user data. */
    @GetMapping("/workers")
    Workers workers() {
        return new Workers(pipeline.workers(), null);
    }

    private ApiException tooLarge() {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, "A request may carry at most " + maxBytes + " bytes", List.of());
    }

    private byte[] readAtMost(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = in.read(buffer)) != -1) {
            if (out.size() + n > limit) {
                throw tooLarge();
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    record Accepted(int accepted) {
    }

    record Workers(List<WorkerView> items, String nextCursor) {
    }
}
