package io.pollster;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Pollster: polls HTTP APIs on per-user schedules, keeps only what changed, delivers the changes. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class PollsterApplication {

    public static void main(String[] args) {
        SpringApplication.run(PollsterApplication.class, args);
    }
}
