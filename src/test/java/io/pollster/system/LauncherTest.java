package io.pollster.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pollster.support.TestDirs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ./pollster} finds a JDK >= 21 by itself, also when the {@code java} on PATH is 17. */
class LauncherTest {

    private final Path jvms = TestDirs.newDir("jvms-");

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
        ProcessBuilder builder = new ProcessBuilder("/bin/bash", Path.of("pollster").toAbsolutePath().toString(), "java-home");
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
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private record Result(int exit, String stdout, String stderr) {
    }
}
