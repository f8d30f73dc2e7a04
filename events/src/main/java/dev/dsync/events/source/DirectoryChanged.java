package dev.dsync.events.source;

import dev.dsync.events.Actor;
import java.time.Instant;

/** A directory (SCIM or polled) was created, renamed, activated, deactivated or deleted. */
public record DirectoryChanged(
    String directoryId,
    String name,
    String kind,
    DirectoryState state,
    Change change,
    Instant occurredAt,
    Actor actor) {

  /** Lifecycle state of a directory. */
  public enum DirectoryState {
    /** Accepting changes. */
    ACTIVE,
    /** Refusing changes; its identities are kept. */
    INACTIVE,
    /** Gone; its identities are to be deprovisioned. */
    DELETED
  }

  /** What happened to the directory. */
  public enum Change {
    /** The directory was created. */
    CREATED,
    /** Its name or settings changed. */
    UPDATED,
    /** It was switched on. */
    ACTIVATED,
    /** It was switched off. */
    DEACTIVATED,
    /** It was deleted. */
    DELETED
  }
}
