package io.pollster.job;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The broker's routing key of a RabbitMQ output: always under its owner's id, whatever the template says. */
class RabbitRoutingKeyTest {

    private static final UUID OWNER = UUID.fromString("018f0000-0000-7000-8000-0000000000a1");
    private static final UUID JOB = UUID.fromString("018f0000-0000-7000-8000-0000000000b2");

    @Test
    void theTemplateIsFilledInUnderTheOwnersId() {
        OutputDefinition.RabbitMq output = new OutputDefinition.RabbitMq("pollster.events", "jobs.{jobId}.{type}", "json");
        assertThat(output.brokerRoutingKey(OWNER, JOB, "version.created"))
                .isEqualTo(OWNER + ".jobs." + JOB + ".version.created");
    }

    @Test
    void aTemplateNamingAnotherUserStaysUnderItsOwnersId() {
        UUID other = UUID.randomUUID();
        OutputDefinition.RabbitMq output = new OutputDefinition.RabbitMq("pollster.events", other + ".#", "json");
        assertThat(output.brokerRoutingKey(OWNER, JOB, "item.created")).isEqualTo(OWNER + "." + other + ".#");
    }

    @Test
    void anEmptyTemplateIsTheOwnersIdAlone() {
        assertThat(new OutputDefinition.RabbitMq("pollster.events", "", "json").brokerRoutingKey(OWNER, JOB, "job.stale"))
                .isEqualTo(OWNER.toString());
    }
}
