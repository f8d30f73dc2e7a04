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

  private static double cpuOf(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields 14-17 of stat (utime, stime, cutime, cstime), counted from the state field (3)
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
      return ticks / 100.0;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
