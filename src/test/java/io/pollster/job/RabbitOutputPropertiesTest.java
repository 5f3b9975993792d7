package io.pollster.job;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The operator's list of exchanges for RabbitMQ outputs: Pollster's own and the broker's names stop the start. */
class RabbitOutputPropertiesTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(RabbitOutputProperties.class)
    static class Bound {
    }

    private final ApplicationContextRunner context = new ApplicationContextRunner().withUserConfiguration(Bound.class);

    @Test
    void byDefaultOnlyPollsterEventsIsAllowed() {
        context.run(started -> {
            RabbitOutputProperties properties = started.getBean(RabbitOutputProperties.class);
            assertThat(properties.allows("pollster.events")).isTrue();
            assertThat(properties.allows("team.events")).isFalse();
            assertThat(properties.allowed()).isEqualTo("pollster.events");
        });
    }

    @Test
    void listedExchangesAreAllowedTrimmedAndPollsterEventsStaysImplicit() {
        context.withPropertyValues("pollster.outputs.rabbitmq.exchanges= team.events , pollster.events,audit:log").run(started -> {
            RabbitOutputProperties properties = started.getBean(RabbitOutputProperties.class);
            assertThat(properties.exchanges()).containsExactly("team.events", "audit:log");
            assertThat(properties.allows("team.events")).isTrue();
            assertThat(properties.allows("pollster.events")).isTrue();
            assertThat(properties.allowed()).isEqualTo("pollster.events, team.events, audit:log");
        });
    }

    @Test
    void aListNamingPollstersOwnOrTheBrokersExchangesStopsTheStartSayingWhichToRemove() {
        for (String name : List.of("amq.topic", "pollster.transport", "pollster.poll", "pollster.dead-letters",
                "acme.pollster.dead-letters", "bad name")) {
            context.withPropertyValues("pollster.outputs.rabbitmq.exchanges=team.events," + name).run(started -> {
                assertThat(started).as(name).hasFailed();
                assertThat(started.getStartupFailure()).rootCause().as(name)
                        .hasMessageContaining("pollster.outputs.rabbitmq.exchanges: '" + name + "'")
                        .hasMessageContaining("remove it from the list");
            });
        }
    }

    @Test
    void theRecordRefusesADeadLetterExchangeUnderAnyPrefix() {
        assertThatIllegalArgumentException().isThrownBy(() -> new RabbitOutputProperties(List.of("test-run.pollster.dead-letters")))
                .withMessageContaining("dead-letter exchange");
    }
}
