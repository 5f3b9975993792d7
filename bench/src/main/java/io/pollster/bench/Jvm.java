package io.pollster.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Asks another JVM (the Pollster child) about itself with {@code jcmd}, from the JDK running the harness. */
final class Jvm {

    private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total.*?used (\\d+)K");
    private static final String RECORDING = "pollster-bench";

    private Jvm() {
    }

    /** Heap in use right after a full collection ({@code GC.run}, then {@code GC.heap_info}): what stays live. */
    static long heapAfterGc(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher m = HEAP_USED.matcher(info);
        if (!m.find()) {
            throw new IOException("Unexpected GC.heap_info output:\n" + info);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** Resident set size of the process (heap, metaspace, code, threads, native). */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return -1;
    }

    /** Starts a JFR recording with the {@code profile} settings and method sampling at its highest rate. */
    static void startRecording(long pid) throws IOException, InterruptedException {
        jcmd(pid, "JFR.start", "name=" + RECORDING, "settings=profile", "method-profiling=max");
    }

    /** Writes the recording to {@code file} and stops it. */
    static void stopRecording(long pid, Path file) throws IOException, InterruptedException {
        Files.createDirectories(file.getParent());
        jcmd(pid, "JFR.stop", "name=" + RECORDING, "filename=" + file);
    }

    /**
     * Freezes the process (SIGSTOP) so that another system can be measured on the same machine and
     * database without a restart; its connections wait, idle. {@link #resume} thaws it.
     */
    static void pause(long pid) throws IOException, InterruptedException {
        signal(pid, "-STOP");
    }

    static void resume(long pid) throws IOException, InterruptedException {
        signal(pid, "-CONT");
    }

    private static void signal(long pid, String signal) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", signal, Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("kill " + signal + " " + pid + " failed: " + out);
        }
    }

    private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>();
        args.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        args.add(Long.toString(pid));
        args.addAll(List.of(command));
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("jcmd " + String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }
}
