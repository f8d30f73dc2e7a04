package dev.dsync.events.provisioning;

import java.time.Instant;

/** What the provisioner did to one entity at one target application. */
public record ProvisioningResult(
    String targetId,
    String entityType,
    String entityId,
    Outcome outcome,
    String targetResourceId,
    String reason,
    String identityEventId,
    Instant attemptedAt) {

  /** Result of pushing one entity to a target. */
  public enum Outcome {
    /** Created at the target. */
    PROVISIONED,
    /** Changed at the target. */
    UPDATED,
    /** Deactivated or deleted at the target. */
    DEPROVISIONED,
    /** Nothing to do: the target already matched. */
    UNCHANGED,
    /** The target refused or could not be reached after retries; see reason. */
    FAILED
  }
}
