package io.pollster.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the figures were measured on, and how busy the machine was meanwhile. */
final class Machine {

    private Machine() {
    }

    /** CPU counters of the whole machine ({@code /proc/stat}), for the busy share between two snapshots. */
    record Snapshot(long busyTicks, long totalTicks, String loadAverage) {
    }

    static Snapshot snapshot() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < cpu.length; i++) {
                total += Long.parseLong(cpu[i]);
            }
            long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]); // idle + iowait
            return new Snapshot(total - idle, total, loadAverage());
        } catch (IOException | RuntimeException e) {
            return new Snapshot(0, 0, "unknown");
        }
    }

    /** Share of all cores busy between the two snapshots, 0..1 (whoever used them). */
    static double busy(Snapshot before, Snapshot after) {
        long total = after.totalTicks() - before.totalTicks();
        return total <= 0 ? Double.NaN : (double) (after.busyTicks() - before.busyTicks()) / total;
    }

    static Map<String, Object> describe(Path root, Snapshot before) {
        Snapshot now = snapshot();
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("memTotalGiB", memTotalGiB());
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("loadAverageBefore", before.loadAverage());
        machine.put("loadAverageAfter", now.loadAverage());
        machine.put("machineBusyShare", Results.round(busy(before, now), 3));
        machine.put("commit", git(root, "rev-parse", "--short", "HEAD"));
        machine.put("workTreeDirty", !git(root, "status", "--porcelain", "--", "src", "pom.xml").isEmpty());
        return machine;
    }

    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static double memTotalGiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Results.round(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0, 1);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return Double.NaN;
    }

    private static String git(Path root, String... args) {
        try {
            List<String> command = new java.util.ArrayList<>(List.of("git", "-C", root.toString()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
