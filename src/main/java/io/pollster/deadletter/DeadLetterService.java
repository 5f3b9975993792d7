package io.pollster.deadletter;

import java.util.List;
import java.util.UUID;

import io.pollster.output.DeliveryReplays;
import io.pollster.schedule.JobSchedules;
import io.pollster.system.web.ApiException;
import io.pollster.system.web.Page;
import io.pollster.system.web.PageQuery;
import io.pollster.transport.DeadLetterType;
import io.pollster.transport.QueueProperties;
import io.pollster.transport.Transport;
import io.pollster.user.Caller;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** A user sees, replays and deletes only their own dead letters; the admin sees all. */
@Service
class DeadLetterService {

    private final DeadLetterRepository letters;
    private final Transport transport;
    private final JobSchedules schedules;
    private final QueueProperties queues;
    private final DeliveryReplays deliveryReplays;

    DeadLetterService(DeadLetterRepository letters, Transport transport, JobSchedules schedules, QueueProperties queues,
                      DeliveryReplays deliveryReplays) {
        this.deliveryReplays = deliveryReplays;
        this.letters = letters;
        this.transport = transport;
        this.schedules = schedules;
        this.queues = queues;
    }

    Page<DeadLetterRepository.DeadLetter> list(Caller caller, String type, PageQuery page) {
        DeadLetterType parsed;
        try {
            parsed = type == null ? null : DeadLetterType.fromWireName(type);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("type", e.getMessage());
        }
        UUID owner = caller.admin() ? null : caller.userId().value();
        return Page.of(letters.findPage(owner, parsed, page.afterId(), page.fetchSize()), page, d -> d.id().toString());
    }

    /**
     * Takes the dead letter and puts its work back, in one transaction: of two concurrent replays
     * one wins, the other finds nothing (404). A poll is replayed as a run-now of its job, so it
     * waits for a poll of that job still in flight instead of running beside it.
     */
    @Transactional
    void replay(Caller caller, UUID id) {
        visible(caller, id);
        DeadLetterRepository.DeadLetter letter = letters.take(id).orElseThrow(() -> ApiException.notFound("Dead letter " + id));
        if (letter.type() == DeadLetterType.POLL && letter.jobId() != null) {
            schedules.requestRun(letter.jobId());
            return;
        }
        if (letter.type() == DeadLetterType.DELIVERY) {
            replayDelivery(id, letter);
            return;
        }
        if (letter.queue() == null) {
            throw ApiException.conflict("Dead letter " + id + " names no queue to replay it on");
        }
        transport.enqueue(logicalQueue(letter.queue()), List.of(letter.payload()));
    }

    /** A delivery goes back to the head of its lane: sent again before the events that came after it. */
    private void replayDelivery(UUID id, DeadLetterRepository.DeadLetter letter) {
        boolean replayed;
        try {
            replayed = deliveryReplays.replay(letter.payload());
        } catch (IllegalArgumentException e) {
            throw ApiException.conflict("Dead letter " + id + " " + e.getMessage());
        }
        if (!replayed) {
            throw ApiException.conflict("Dead letter " + id + ": its delivery is gone (with its job) or pending already");
        }
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
