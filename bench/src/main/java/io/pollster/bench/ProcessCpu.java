package io.pollster.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who used the CPU during a window, from {@code /proc}: the Pollster child, this harness, the
 * PostgreSQL backends serving the bench database, every PostgreSQL process, and the machine.
 * That split tells which side limits a figure on a 2-core machine.
 */
final class ProcessCpu {

    // why: USER_HZ is 100 on every Linux this runs on; /proc reports CPU time in these ticks
    private static final double TICKS_PER_SECOND = 100;

    private ProcessCpu() {
    }

    record Sample(long nanos, long pollster, long harness, long postgresBench, long postgresAutovacuum, long postgresAll,
                  Machine.Snapshot machine) {
    }

    /** @param pollsterPid the child, or -1 when none runs */
    static Sample sample(long pollsterPid, String database) {
        long postgresBench = 0;
        long postgresAutovacuum = 0;
        long postgresAll = 0;
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                long ticks = ticks(proc);
                if (ticks < 0 || !"postgres".equals(comm(proc))) {
                    continue;
                }
                postgresAll += ticks;
                String cmdline = cmdline(proc).strip();
                // backends ("postgres: 15/main: postgres <db> 127.0.0.1(…) idle") and autovacuum workers ("… autovacuum worker <db>")
                if (cmdline.contains("autovacuum worker")) {
                    postgresAutovacuum += ticks;
                } else if (cmdline.contains(" " + database + " ") || cmdline.endsWith(" " + database)) {
                    postgresBench += ticks;
                }
            }
        } catch (IOException e) {
            // not Linux: no split
        }
        return new Sample(System.nanoTime(), pollsterPid < 0 ? 0 : Math.max(0, ticks(Path.of("/proc", Long.toString(pollsterPid)))),
                ticks(Path.of("/proc", Long.toString(ProcessHandle.current().pid()))), postgresBench, postgresAutovacuum, postgresAll,
                Machine.snapshot());
    }

    /** Cores used on average between the samples (1.0 = one core busy all the time). */
    static Map<String, Object> between(Sample a, Sample b) {
        double seconds = (b.nanos() - a.nanos()) / 1e9;
        Map<String, Object> cores = new LinkedHashMap<>();
        cores.put("pollster", cores(b.pollster() - a.pollster(), seconds));
        cores.put("harness", cores(b.harness() - a.harness(), seconds));
        cores.put("postgresBenchDb", cores(b.postgresBench() - a.postgresBench(), seconds));
        // autovacuum workers come and go: a worker that ended inside the window is missed
        cores.put("postgresAutovacuum", cores(Math.max(0, b.postgresAutovacuum() - a.postgresAutovacuum()), seconds));
        cores.put("postgresAll", cores(b.postgresAll() - a.postgresAll(), seconds));
        cores.put("machineBusyShare", Results.round(Machine.busy(a.machine(), b.machine()), 3));
        return cores;
    }

    /** {@code pollster 0.9, pg 1.0, harness 0.1 cores; machine 98% busy} */
    static String describe(Map<String, Object> cores) {
        return "cpu: pollster " + cores.get("pollster") + ", postgres " + cores.get("postgresBenchDb")
                + " (autovacuum " + cores.get("postgresAutovacuum") + ", all postgres processes " + cores.get("postgresAll") + "), harness " + cores.get("harness") + " cores; machine "
                + Math.round(100 * ((Number) cores.get("machineBusyShare")).doubleValue()) + "% busy"
                + (cores.get("autovacuumRuns") instanceof Map<?, ?> runs && !runs.isEmpty() ? "; autovacuum " + runs : "");
    }

    /** CPU time of one process so far, in ticks (1/100 s); -1 when it is gone. For a second Pollster. */
    static long ticksOf(long pid) {
        return ticks(Path.of("/proc", Long.toString(pid)));
    }

    static double cores(long ticks, double seconds) {
        return seconds <= 0 ? Double.NaN : Results.round(ticks / TICKS_PER_SECOND / seconds, 2);
    }

    private static long ticks(Path proc) {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            // fields after the parenthesised command name; utime and stime are fields 14 and 15
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static String comm(Path proc) {
        try {
            return Files.readString(proc.resolve("comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static String cmdline(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
