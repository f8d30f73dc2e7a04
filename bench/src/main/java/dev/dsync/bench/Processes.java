package dev.dsync.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of the platform's processes, read from /proc (Linux). */
public final class Processes {

  private Processes() {}

  /** VmRSS of a process in MiB, or -1 when it is gone or /proc is not there. */
  public static double rssMib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /**
   * CPU seconds (user + system) a process and its descendants have used, including reaped
   * children (PostgreSQL backends), or -1 when /proc cannot tell.
   */
  public static double cpuSeconds(long pid) {
    double total = cpuOf(pid);
    if (total < 0) {
      return -1;
    }
    for (ProcessHandle child : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(java.util.List.of())) {
      total += Math.max(0, cpuOf(child.pid()));
    }
    return total;
  }

  /**
   * CPU seconds (user + system) the threads of a JVM whose names start with {@code prefix} have
   * used (the JIT's are "C1 CompilerThre" and "C2 CompilerThre", as the kernel keeps 15 characters),
   * or -1 when /proc cannot tell.
   */
  public static double threadCpuSeconds(long pid, String prefix) {
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (var dirs = Files.list(tasks)) {
      double total = 0;
      for (Path task : dirs.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (name.startsWith(prefix)) {
            total += ticks(stat, 2) / 100.0;
          }
        } catch (IOException e) {
          // the thread ended between the listing and the read
        }
      }
      return total;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The first {@code count} of a stat line's utime, stime, cutime, cstime (fields 14-17), in clock ticks. */
  private static long ticks(String stat, int count) {
    // counted from the state field (3), after the command name, which may hold spaces
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = 0;
    for (int i = 11; i < 11 + count; i++) {
      ticks += Long.parseLong(f[i]);
    }
    return ticks;
  }

  private static double cpuOf(long pid) {
    try {
      // with the children reaped (cutime, cstime): PostgreSQL's backends that ended
      return ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")), 4) / 100.0;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * The machine's CPU time so far, from /proc/stat's first line in clock ticks: {total, idle (with
   * iowait), steal}, or null when /proc cannot tell. Steal is time the hypervisor gave this VM's
   * vCPUs to others: on a shared host it slows every process alike, and runs differ by it.
   */
  public static long[] machineTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) { // user .. steal; guest time is within user
        total += Long.parseLong(f[i]);
      }
      return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5]), f.length > 8 ? Long.parseLong(f[8]) : 0};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
