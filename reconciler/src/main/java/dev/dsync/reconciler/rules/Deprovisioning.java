package dev.dsync.reconciler.rules;

import java.time.Duration;

/** The deprovisioning policy and, for DEACTIVATE_THEN_DELETE, its grace period. */
public record Deprovisioning(DeprovisioningPolicy policy, Duration gracePeriod) {

  public Deprovisioning {
    policy = policy == null ? DeprovisioningPolicy.DEACTIVATE : policy;
    gracePeriod = gracePeriod == null ? Duration.ofDays(30) : gracePeriod;
  }

  public static Deprovisioning defaults() {
    return new Deprovisioning(null, null);
  }
}
