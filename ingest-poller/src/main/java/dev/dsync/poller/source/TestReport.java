package dev.dsync.poller.source;

import java.util.List;

/** Result of POST /connections/{id}/test: each check and exactly what failed. */
public record TestReport(boolean ok, List<Check> checks) {

  /** One connectivity or permission check. */
  public record Check(String name, boolean ok, String detail) {}

  public static TestReport of(List<Check> checks) {
    return new TestReport(checks.stream().allMatch(Check::ok), checks);
  }
}
