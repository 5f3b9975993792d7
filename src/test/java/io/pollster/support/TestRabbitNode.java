package io.pollster.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A RabbitMQ node of a test's own — its own node name, ports, data and log directory — for tests
 * that stop and start their broker: stopping the machine's shared broker would cut every other test
 * run's connections. Started from the same installation as the shared broker (the Debian package's
 * {@code /usr/lib/rabbitmq/bin}, else whatever {@code rabbitmq-server} is on the PATH), with no
 * plugins, listening on loopback only; stopped and deleted on {@link #close()}.
 */
public final class TestRabbitNode implements AutoCloseable {

    private static final Path DEBIAN_BIN = Path.of("/usr/lib/rabbitmq/bin");
    /** rabbitmqctl's own distribution ports (RABBITMQ_CTL_DIST_PORT_MIN…MAX): a node must not take them. */
    private static final int CTL_PORTS_FROM = 35672;
    private static final int CTL_PORTS_TO = 35682;

    private static TestRabbitNode shared;

    private final String node;
    private final int port;
    private final Path base;
    private final Map<String, String> env;

    private TestRabbitNode(String node, int port, Path base, Map<String, String> env) {
        this.node = node;
        this.port = port;
        this.base = base;
        this.env = env;
    }

    /**
     * The run's node for tests that restart their broker, started on first use and stopped when the
     * run ends (those tests run one after another, each with its own queue names). It has the run's
     * virtual host ({@link TestBroker#vhost()}), so a test moves onto it by its port alone.
     */
    public static synchronized TestRabbitNode forRestarts() {
        if (shared == null) {
            shared = start();
            // the run's virtual host, as on the shared broker: test contexts connect to it by name
            String vhost = TestBroker.get().vhost();
            shared.ctl(60, "add_vhost", vhost);
            shared.ctl(60, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "stop-test-rabbit-node"));
        }
        return shared;
    }

    /** Starts a node and waits until it serves AMQP; fails (never skips) when RabbitMQ is not installed. */
    public static TestRabbitNode start() {
        String node = "pollster-test-" + UUID.randomUUID().toString().substring(0, 8) + "@localhost";
        int port = freePort();
        int distPort = freePort();
        Path base = TestDirs.newDir("rabbit-node-");
        try {
            Files.writeString(base.resolve("enabled_plugins"), "[].\n");
            Files.writeString(base.resolve("rabbitmq.conf"), "listeners.tcp.1 = 127.0.0.1:" + port + "\n"
);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> env = Map.of(
                "RABBITMQ_NODENAME", node,
                "RABBITMQ_DIST_PORT", Integer.toString(distPort),
                "RABBITMQ_BASE", base.toString(),
                "RABBITMQ_MNESIA_BASE", base.resolve("mnesia").toString(),
                "RABBITMQ_LOG_BASE", base.resolve("log").toString(),
                "RABBITMQ_ENABLED_PLUGINS_FILE", base.resolve("enabled_plugins").toString(),
                "RABBITMQ_CONFIG_FILE", base.resolve("rabbitmq.conf").toString(),
                "RABBITMQ_PID_FILE", base.resolve("pid").toString(),
                "ERL_EPMD_ADDRESS", "127.0.0.1");
        TestRabbitNode started = new TestRabbitNode(node, port, base, env);
        started.run(60, "rabbitmq-server", "-detached");
        try {
            started.ctl(120, "wait", base.resolve("pid").toString(), "--timeout", "120");
        } catch (RuntimeException e) {
            started.close();
            throw e;
        }
        return started;
    }

    /** The AMQP port on 127.0.0.1 (user guest/guest; virtual host {@code /}, and for {@link #forRestarts} the run's). */
    public int port() {
        return port;
    }

    /** {@code rabbitmqctl stop_app}: the broker closes every connection and stops serving, like a restart. */
    public void stopApp() {
        ctl(60, "stop_app");
    }

    public void startApp() {
        ctl(60, "start_app");
        ctl(60, "await_startup");
    }

    /** Stops the node and deletes its directory. */
    @Override
    public void close() {
        try {
            ctl(60, "stop");
        } catch (RuntimeException e) {
            System.err.println("Could not stop test RabbitMQ node " + node + ": " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(base)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("Could not delete " + base + ": " + e.getMessage());
        }
    }

    private void ctl(int seconds, String... args) {
        List<String> command = new ArrayList<>(List.of("rabbitmqctl", "-n", node));
        command.addAll(List.of(args));
        run(seconds, command.toArray(String[]::new));
    }

    private String run(int seconds, String... command) {
        List<String> line = new ArrayList<>(List.of(command));
        line.set(0, tool(command[0]));
        try {
            ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true).directory(base.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(seconds, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("'" + String.join(" ", line) + "' failed: " + output.strip() + log());
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("A test's own RabbitMQ node needs RabbitMQ installed (Debian package rabbitmq-server): "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The tool itself, not Debian's wrapper in /usr/sbin, which would run it as the rabbitmq user. */
    private static String tool(String name) {
        Path direct = DEBIAN_BIN.resolve(name);
        return Files.isExecutable(direct) ? direct.toString() : name;
    }

    private String log() {
        Path log = base.resolve("log").resolve(node + ".log");
        try {
            String text = Files.exists(log) ? Files.readString(log) : "";
            return text.isEmpty() ? "" : "\nThe end of its log:\n" + text.substring(Math.max(0, text.length() - 4000));
        } catch (IOException e) {
            return "";
        }
    }

    private static int freePort() {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = socket.getLocalPort();
                if (port < CTL_PORTS_FROM || port > CTL_PORTS_TO) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
