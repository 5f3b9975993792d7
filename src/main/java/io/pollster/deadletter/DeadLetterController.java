package io.pollster.deadletter;

import java.time.Instant;
import java.util.UUID;

import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import io.pollster.user.Caller;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@RestController
@RequestMapping("/api/v1/dead-letters")
class DeadLetterController {

    private final DeadLetterService deadLetters;
    private final PayloadView payloads;

    DeadLetterController(DeadLetterService deadLetters, JsonMapper json) {
        this.deadLetters = deadLetters;
        this.payloads = new PayloadView(json);
    }

    @GetMapping
    Page<DeadLetterView> list(Caller caller, @RequestParam(required = false) String type,
                              @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        return deadLetters.list(caller, type, PageQuery.of(limit, cursor)).map(this::view);
    }

    @PostMapping("/{id}/replay")
    ResponseEntity<Void> replay(Caller caller, @PathVariable UUID id) {
        deadLetters.replay(caller, id);
        return ResponseEntity.accepted().build();
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(Caller caller, @PathVariable UUID id) {
        deadLetters.delete(caller, id);
        return ResponseEntity.noContent().build();
    }

    private DeadLetterView view(DeadLetterRepository.DeadLetter d) {
        return new DeadLetterView(d.id(), d.type().wireName(), d.jobId(), payloads.render(d.type(), d.payload()), d.error(),
                d.attempts(), d.count(), d.firstFailedAt(), d.failedAt());
    }

    /**
     * @param count         how many times this failure happened (a job's repeated poll failures fold into one)
     * @param firstFailedAt the first of them; {@code failedAt} is the latest
     */
    record DeadLetterView(UUID id, String type, UUID jobId, JsonNode payload, String error, int attempts, int count,
                          Instant firstFailedAt, Instant failedAt) {
    }
}
