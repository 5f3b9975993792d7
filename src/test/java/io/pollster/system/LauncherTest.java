package io.pollster.system;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.pollster.support.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ./pollster} finds a JDK >= 21 by itself, also when the {@code java} on PATH is 17; and
 * {@code ./pollster test} starts the services the tests need, or names the Debian package of one
 * that is missing. The service cases run the script on a PATH of fakes and point its RabbitMQ and
 * Redis checks at ports of their own, so the machine's real services are never touched.
 */
class LauncherTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Path jvms = TestDirs.newDir("jvms-");
    private final List<ServerSocket> listening = new ArrayList<>();

    @AfterEach
    void closePorts() throws IOException {
        for (ServerSocket socket : listening) {
            socket.close();
        }
    }

    @Test
    void skipsJava17OnThePathAndPicksTheNewestJdkAtLeast21() throws Exception {
        Path jdk17 = fakeJdk("jdk-17", "17.0.15", true);
        fakeJdk("jdk-21", "21.0.5", true);
        Path jdk25 = fakeJdk("jdk-25", "25.0.1", true);
        fakeJdk("jre-26", "26", false);

        Result result = run(Map.of("PATH", jdk17.resolve("bin") + ":/usr/bin:/bin", "POLLSTER_JVM_DIRS", jvms.toString()));

        assertThat(result.exit()).as(result.stderr()).isZero();
        assertThat(result.stdout().strip()).isEqualTo(jdk25.toString());
    }

    @Test
    void aJavaHomeThatIsTooOldIsPassedOverWithAWarning() throws Exception {
        Path jdk17 = fakeJdk("jdk-17", "17.0.15", true);
        Path jdk21 = fakeJdk("jdk-21", "21.0.5", true);

        Result result = run(Map.of("JAVA_HOME", jdk17.toString(), "PATH", "/usr/bin:/bin",
                "POLLSTER_JVM_DIRS", jvms.toString()));

        assertThat(result.stdout().strip()).isEqualTo(jdk21.toString());
        assertThat(result.stderr()).contains("is not a JDK >= 21");
    }

    @Test
    void aGoodJavaHomeComesFirst() throws Exception {
        Path jdk21 = fakeJdk("jdk-21", "21.0.5", true);
        fakeJdk("jdk-25", "25.0.1", true);

        Result result = run(Map.of("JAVA_HOME", jdk21.toString(), "POLLSTER_JVM_DIRS", jvms.toString()));

        assertThat(result.stdout().strip()).isEqualTo(jdk21.toString());
    }

    @Test
    void withNoJdkAtLeast21ItStopsAndSaysWhatToInstall() throws Exception {
        Path jdk17 = fakeJdk("jdk-17", "17.0.15", true);
        fakeJdk("java-8", "1.8.0_292", true);

        Result result = run(Map.of("PATH", jdk17.resolve("bin") + ":/bin", "POLLSTER_JVM_DIRS", jvms.toString()));

        assertThat(result.exit()).isNotZero();
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr()).contains("No JDK >= 21 found", "Install one");
    }

    @Test
    void findsTheRealJdkRunningTheseTestsWhenTheSystemJavaIs17() throws Exception {
        Path thisJdk = Path.of(System.getProperty("java.home")).toRealPath();
        Path jdk17 = fakeJdk("jdk-17", "17.0.15", true);

        Result result = run(Map.of("PATH", jdk17.resolve("bin") + ":/usr/bin:/bin",
                "POLLSTER_JVM_DIRS", thisJdk.getParent().toString()));

        assertThat(result.exit()).as(result.stderr()).isZero();
        Path chosen = Path.of(result.stdout().strip());
        Process version = new ProcessBuilder(chosen.resolve("bin/java").toString(), "-version").redirectErrorStream(true).start();
        String output = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int major = Integer.parseInt(output.replaceAll("(?s).*version \"(\\d+).*", "$1"));
        assertThat(major).isGreaterThanOrEqualTo(21);
    }

    @Test
    void nothingIsStartedWhenEveryServiceAlreadyAnswers() throws Exception {
        FakeMachine machine = new FakeMachine(EnumSet.allOf(Service.class));
        machine.answer(EnumSet.allOf(Service.class));

        Result result = run(machine.env(), "services");

        assertThat(result.exit()).as(result.stderr()).isZero();
        assertThat(result.stderr()).isEmpty();
        assertThat(machine.starts()).isEmpty();
    }

    @Test
    void aStoppedPostgresqlIsStartedThroughItsClusterAndWaitedFor() throws Exception {
        FakeMachine machine = new FakeMachine(EnumSet.allOf(Service.class));
        machine.answer(EnumSet.of(Service.RABBITMQ, Service.REDIS));

        Result result = run(machine.env(), "services");

        assertThat(result.exit()).as(result.stderr()).isZero();
        assertThat(machine.starts()).containsExactly("pg_ctlcluster --skip-systemctl-redirect 15 main start");
        assertThat(result.stderr()).contains("PostgreSQL on 127.0.0.1:5432 is up");
    }

    @Test
    void stoppedRabbitMqAndRedisAreStartedAndWaitedForUntilTheirPortsAnswer() throws Exception {
        FakeMachine machine = new FakeMachine(EnumSet.allOf(Service.class));
        machine.answer(EnumSet.of(Service.POSTGRESQL));

        Launch launch = launch(machine.env(), "services");
        await().atMost(WAIT).until(() -> machine.starts().contains("rabbitmq-server -detached"));
        assertThat(launch.process().isAlive()).as("waits for RabbitMQ's port").isTrue();
        machine.answer(EnumSet.of(Service.RABBITMQ));
        await().atMost(WAIT).until(() -> machine.starts().size() == 2);
        machine.answer(EnumSet.of(Service.REDIS));
        Result result = launch.result();

        assertThat(result.exit()).as(result.stderr()).isZero();
        // --save "": an empty argument, hence the two spaces
        assertThat(machine.starts()).containsExactly("rabbitmq-server -detached",
                "redis-server --daemonize yes --bind 127.0.0.1 --port " + machine.redisPort + " --save  --appendonly no");
        assertThat(result.stderr()).contains("RabbitMQ on 127.0.0.1:" + machine.rabbitmqPort + " is up",
                "Redis on 127.0.0.1:" + machine.redisPort + " is up");
    }

    @ParameterizedTest
    @EnumSource(Service.class)
    void aServiceThatIsNotInstalledStopsTheRunNamingItsDebianPackage(Service missing) throws Exception {
        Set<Service> others = EnumSet.complementOf(EnumSet.of(missing));
        FakeMachine machine = new FakeMachine(others);
        machine.answer(others);

        Result result = run(machine.env(), "services");

        assertThat(result.exit()).isNotZero();
        assertThat(result.stderr()).contains("pollster: " + missing.title + " is not installed",
                "install the Debian package " + missing.debianPackage + " (apt-get install -y " + missing.debianPackage + ")");
        assertThat(machine.starts()).isEmpty();
    }

    @Test
    void testNamesEveryMissingPackageAtOnceAndNeverReachesMaven() throws Exception {
        FakeMachine machine = new FakeMachine(EnumSet.noneOf(Service.class));

        Result result = run(machine.env(), "test");

        assertThat(result.exit()).isNotZero();
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr()).contains("(apt-get install -y postgresql)", "(apt-get install -y rabbitmq-server)",
                "(apt-get install -y redis-server)");
    }

    @Test
    void aRunningRabbitMqWithoutRabbitmqctlStillStopsTheRunBecauseTheTestsUseIt() throws Exception {
        FakeMachine machine = new FakeMachine(EnumSet.of(Service.POSTGRESQL, Service.REDIS));
        machine.answer(EnumSet.allOf(Service.class));

        Result result = run(machine.env(), "services");

        assertThat(result.exit()).isNotZero();
        assertThat(result.stderr()).contains("rabbitmqctl is not on the PATH", "rabbitmq-server");
    }

    @Test
    void aPostgresqlOnAnotherHostIsOnlyCheckedNeverStarted() throws Exception {
        FakeMachine machine = new FakeMachine(EnumSet.allOf(Service.class));
        machine.answer(EnumSet.of(Service.RABBITMQ, Service.REDIS));
        Map<String, String> env = new HashMap<>(machine.env());
        env.put("POLLSTER_TEST_PG_URL", "jdbc:postgresql://db.example.org:6543/postgres?ssl=true");

        Result down = run(env, "services");
        machine.answer(EnumSet.of(Service.POSTGRESQL));
        Result up = run(env, "services");

        assertThat(down.exit()).isNotZero();
        assertThat(down.stderr()).contains("PostgreSQL at db.example.org:6543 (POLLSTER_TEST_PG_URL) does not answer");
        assertThat(up.exit()).as(up.stderr()).isZero();
        assertThat(machine.calls()).contains("pg_isready -q -h db.example.org -p 6543 -U postgres");
        assertThat(machine.starts()).isEmpty();
    }

    /** The services {@code ./pollster test} looks after, with the Debian package that installs each. */
    enum Service {
        POSTGRESQL("PostgreSQL", "postgresql"),
        RABBITMQ("RabbitMQ", "rabbitmq-server"),
        REDIS("Redis", "redis-server");

        final String title;
        final String debianPackage;

        Service(String title, String debianPackage) {
            this.title = title;
            this.debianPackage = debianPackage;
        }
    }

    /**
     * What the launcher sees of a machine: a PATH holding only the tools it uses and fakes of the
     * installed services' commands, which append their command lines to {@code calls.log}.
     * PostgreSQL answers once {@code pg.up} exists (the fake {@code pg_ctlcluster} creates it);
     * RabbitMQ and Redis answer once this test listens on their ports.
     */
    private final class FakeMachine {

        private static final List<String> START_COMMANDS = List.of("pg_ctlcluster", "rabbitmq-server", "redis-server");

        private final Path dir = TestDirs.newDir("machine-");
        private final Path bin = dir.resolve("bin");
        private final Path calls = dir.resolve("calls.log");
        private final Path pgUp = dir.resolve("pg.up");
        final int rabbitmqPort = freePort();
        final int redisPort = freePort();

        FakeMachine(Set<Service> installed) throws IOException {
            Files.createDirectories(bin);
            for (String tool : List.of("dirname", "sleep")) {
                Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool));
            }
            if (installed.contains(Service.POSTGRESQL)) {
                fake("pg_isready", "[ -e '" + pgUp + "' ]");
                fake("pg_lsclusters", "echo '15 main 5432 down postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log'");
                fake("pg_ctlcluster", ": > '" + pgUp + "'");
            }
            if (installed.contains(Service.RABBITMQ)) {
                fake("rabbitmq-server", "exit 0");
                fake("rabbitmqctl", "exit 0");
            }
            if (installed.contains(Service.REDIS)) {
                fake("redis-server", "exit 0");
            }
        }

        void answer(Set<Service> services) throws IOException {
            for (Service service : services) {
                switch (service) {
                    case POSTGRESQL -> Files.writeString(pgUp, "");
                    case RABBITMQ -> listen(rabbitmqPort);
                    case REDIS -> listen(redisPort);
                }
            }
        }

        Map<String, String> env() {
            return Map.of("PATH", bin.toString(),
                    "POLLSTER_TEST_RABBITMQ_PORT", Integer.toString(rabbitmqPort),
                    "POLLSTER_TEST_REDIS_PORT", Integer.toString(redisPort));
        }

        List<String> calls() throws IOException {
            return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
        }

        List<String> starts() throws IOException {
            return calls().stream().filter(call -> START_COMMANDS.contains(call.split(" ")[0])).toList();
        }

        private void fake(String command, String body) throws IOException {
            executable(bin.resolve(command), "#!/bin/sh\necho \"" + command + " $*\" >> '" + calls + "'\n" + body + "\n");
        }
    }

    private void listen(int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        listening.add(socket);
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path fakeJdk(String name, String version, boolean withJavac) throws IOException {
        Path home = jvms.resolve(name);
        Path bin = Files.createDirectories(home.resolve("bin"));
        executable(bin.resolve("java"), "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2025-01-01' >&2\n");
        if (withJavac) {
            executable(bin.resolve("javac"), "#!/bin/sh\nexit 0\n");
        }
        return home;
    }

    private static void executable(Path file, String script) throws IOException {
        Files.writeString(file, script);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static Result run(Map<String, String> env) throws Exception {
        return run(env, "java-home");
    }

    private static Result run(Map<String, String> env, String command) throws Exception {
        return launch(env, command).result();
    }

    /** Starts {@code ./pollster COMMAND} with only HOME, LANG and {@code env} in its environment. */
    private static Launch launch(Map<String, String> env, String command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("/bin/bash", Path.of("pollster").toAbsolutePath().toString(), command);
        Map<String, String> environment = builder.environment();
        Map<String, String> kept = new HashMap<>();
        for (String name : List.of("HOME", "LANG")) {
            if (environment.containsKey(name)) {
                kept.put(name, environment.get(name));
            }
        }
        environment.clear();
        environment.putAll(kept);
        environment.put("PATH", "/usr/bin:/bin");
        environment.putAll(env);
        Path out = Files.createTempFile(TestDirs.runDir(), "launcher-", ".out");
        Path err = Files.createTempFile(TestDirs.runDir(), "launcher-", ".err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Launch(process, out, err);
    }

    private record Launch(Process process, Path out, Path err) {

        Result result() throws Exception {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("./pollster still running after 30s; stderr so far: " + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        }
    }

    private record Result(int exit, String stdout, String stderr) {
    }
}
