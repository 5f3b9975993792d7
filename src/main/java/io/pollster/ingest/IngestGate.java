package io.pollster.ingest;

import java.util.List;

import io.pollster.system.web.ApiException;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/** Closes the door to new messages as soon as shutdown begins, before anything is drained. */
@Component
class IngestGate {

    private volatile boolean closing;

    @EventListener(ContextClosedEvent.class)
    void close() {
        closing = true;
    }

    void requireOpen() {
        if (closing) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "Pollster is shutting down; send these messages again later",
                    List.of());
        }
    }
}
