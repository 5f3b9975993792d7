package io.pollster.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.springframework.boot.SpringApplication;

/**
 * A virtual host of its own on the local RabbitMQ for each test run, deleted (with every queue
 * in it) when the run ends, so runs never see each other's queues. Virtual hosts of runs that were
 * killed are deleted by the next run once they are old enough. Managed with {@code rabbitmqctl},
 * which must be on the PATH; a broker that is not running fails the run, never skips it.
 */
public final class TestBroker {

    private static final String PREFIX = "pollster_test_";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

    private static TestBroker instance;

    private final String vhost;

    private TestBroker(String vhost) {
        this.vhost = vhost;
    }

    public static synchronized TestBroker get() {
        if (instance == null) {
            String vhost = PREFIX + LocalDateTime.now().format(STAMP) + "_"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
            deleteAbandoned();
            rabbitmqctl("add_vhost", vhost);
            rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
            instance = new TestBroker(vhost);
            SpringApplication.getShutdownHandlers().add(() -> {
                try {
                    rabbitmqctl("delete_vhost", vhost);
                } catch (RuntimeException e) {
                    System.err.println("Could not delete test vhost " + vhost + ": " + e.getMessage());
                }
            });
        }
        return instance;
    }

    public String vhost() {
        return vhost;
    }

    private static void deleteAbandoned() {
        String cutoff = PREFIX + LocalDateTime.now().minusHours(3).format(STAMP);
        for (String line : rabbitmqctl("list_vhosts", "--quiet", "--no-table-headers").split("\n")) {
            String name = line.strip();
            if (name.startsWith(PREFIX) && name.compareTo(cutoff) < 0) {
                rabbitmqctl("delete_vhost", name);
            }
        }
    }

    private static String rabbitmqctl(String... args) {
        List<String> command = new ArrayList<>(List.of("rabbitmqctl"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("Tests need RabbitMQ on 127.0.0.1:5672 and rabbitmqctl: '"
                        + String.join(" ", command) + "' failed: " + output.strip()
                        + ". Start it with: rabbitmq-server -detached");
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("Tests need rabbitmqctl on the PATH (RabbitMQ's command line): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
