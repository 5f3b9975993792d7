package io.pollster.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * What a JFR recording of Pollster says about where its CPU went: the hottest methods (the top
 * frame of each {@code jdk.ExecutionSample}), the Pollster method each sample was working for (its
 * nearest {@code io.pollster} frame), the libraries the samples fell in, and the GC pauses. The
 * same as {@code jfr print --events jdk.ExecutionSample} piped through a counter, written next to
 * the recording as {@code <recording>.txt}.
 */
final class JfrSummary {

    private static final int TOP = 15;

    private JfrSummary() {
    }

    static String summarise(Path recording) throws IOException {
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> pollster = new HashMap<>();
        Map<String, Integer> libraries = new HashMap<>();
        int samples = 0;
        int gcs = 0;
        Duration paused = Duration.ZERO;
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            String type = event.getEventType().getName();
            if (type.equals("jdk.GarbageCollection")) {
                gcs++;
                paused = paused.plus(event.getDuration("sumOfPauses"));
            }
            if (!type.equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = stack.getFrames();
            String top = method(frames.getFirst());
            self.merge(top, 1, Integer::sum);
            libraries.merge(library(frames.getFirst().getMethod().getType().getName()), 1, Integer::sum);
            frames.stream()
                    .filter(f -> f.getMethod().getType().getName().startsWith("io.pollster"))
                    .findFirst()
                    .ifPresentOrElse(f -> pollster.merge(method(f), 1, Integer::sum),
                            () -> pollster.merge("(no io.pollster frame: " + threadGroup(frames) + ")", 1, Integer::sum));
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "JFR %s: %,d execution samples, %d GCs pausing %d ms in total%n",
                recording.getFileName(), samples, gcs, paused.toMillis()));
        table(out, "hottest methods (top frame, self time)", self, samples);
        table(out, "nearest io.pollster frame (what the CPU was working for)", pollster, samples);
        table(out, "library of the top frame", libraries, samples);
        String text = out.toString();
        Files.writeString(recording.resolveSibling(recording.getFileName() + ".txt"), text);
        return text;
    }

    private static void table(StringBuilder out, String title, Map<String, Integer> counts, int samples) {
        out.append("  ").append(title).append(":\n");
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(TOP)
                .forEach(e -> out.append(String.format(Locale.ROOT, "    %5.1f%%  %s%n", 100.0 * e.getValue() / samples, e.getKey())));
    }

    private static String method(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName()
                + " (" + type.substring(0, Math.max(0, type.lastIndexOf('.'))) + ")";
    }

    /** The library a class belongs to, by package prefix. */
    static String library(String type) {
        String[][] prefixes = {
                {"io.pollster.", "Pollster"}, {"org.postgresql.", "PostgreSQL JDBC"}, {"com.zaxxer.hikari.", "HikariCP"},
                {"org.springframework.", "Spring"}, {"org.apache.hc.", "Apache HttpClient"},
                {"org.apache.catalina.", "Tomcat"}, {"org.apache.coyote.", "Tomcat"}, {"org.apache.tomcat.", "Tomcat"},
                {"tools.jackson.", "Jackson 3"}, {"com.fasterxml.jackson.", "Jackson 2"}, {"io.micrometer.", "Micrometer"},
                {"ch.qos.logback.", "Logback"}, {"org.slf4j.", "SLF4J"}, {"com.jayway.jsonpath.", "JsonPath"},
                {"java.util.zip.", "JDK zip"}, {"sun.security.", "JDK security/crypto"}, {"com.sun.crypto.", "JDK security/crypto"},
                {"java.util.regex.", "JDK regex"}, {"java.util.concurrent.", "JDK concurrency"}, {"sun.nio.", "JDK I/O"},
                {"java.nio.", "JDK I/O"}, {"java.io.", "JDK I/O"}, {"java.net.", "JDK net"}, {"sun.net.", "JDK net"},
                {"java.lang.invoke.", "JDK reflection/invoke"}, {"java.lang.reflect.", "JDK reflection/invoke"},
                {"jdk.internal.reflect.", "JDK reflection/invoke"}, {"java.time.", "JDK time"}, {"java.util.", "JDK collections/util"},
                {"java.lang.", "JDK lang"}, {"jdk.internal.", "JDK internal"}};
        for (String[] p : prefixes) {
            if (type.startsWith(p[0])) {
                return p[1];
            }
        }
        int dot = type.indexOf('.', type.indexOf('.') + 1);
        return dot < 0 ? type : type.substring(0, dot);
    }

    private static String threadGroup(List<RecordedFrame> frames) {
        return library(frames.getLast().getMethod().getType().getName());
    }
}
