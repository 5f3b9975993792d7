package io.pollster.deadletter;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import io.pollster.system.web.ApiException;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import io.pollster.transport.QueueProperties;
import io.pollster.transport.Transport;
import io.pollster.user.Caller;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** A user sees, replays and deletes only their own dead letters; the admin sees all. */
@Service
class DeadLetterService {

    static final Set<String> TYPES = Set.of("poll", "page", "delivery", "message");

    private final DeadLetterRepository letters;
    private final Transport transport;
    private final QueueProperties queues;

    DeadLetterService(DeadLetterRepository letters, Transport transport, QueueProperties queues) {
        this.letters = letters;
        this.transport = transport;
        this.queues = queues;
    }

    Page<DeadLetterRepository.DeadLetter> list(Caller caller, String type, PageQuery page) {
        if (type != null && !TYPES.contains(type)) {
            throw ApiException.invalid("type", "must be one of poll, page, delivery, message");
        }
        UUID owner = caller.admin() ? null : caller.userId().value();
        return Page.of(letters.findPage(owner, type, page.afterId(), page.fetchSize()), page, d -> d.id().toString());
    }

    /** Puts the payload back on its queue and removes the dead letter, in one transaction. */
    @Transactional
    void replay(Caller caller, UUID id) {
        DeadLetterRepository.DeadLetter letter = visible(caller, id);
        if (letter.queue() == null) {
            throw ApiException.conflict("Dead letter " + id + " names no queue to replay it on");
        }
        transport.enqueue(logicalQueue(letter.queue()), List.of(letter.payload()));
        letters.delete(id);
    }

    @Transactional
    void delete(Caller caller, UUID id) {
        visible(caller, id);
        letters.delete(id);
    }

    private DeadLetterRepository.DeadLetter visible(Caller caller, UUID id) {
        return letters.find(id)
                .filter(d -> caller.admin() || (d.ownerId() != null && d.ownerId().equals(caller.userId().value())))
                .orElseThrow(() -> ApiException.notFound("Dead letter " + id));
    }

    /** Dead letters keep the queue's full name; the transport adds the installation's prefix itself. */
    private String logicalQueue(String stored) {
        return !queues.prefix().isEmpty() && stored.startsWith(queues.prefix()) ? stored.substring(queues.prefix().length()) : stored;
    }
}
