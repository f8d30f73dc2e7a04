package dev.dsync.poller.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.source.MemberRef;
import java.util.List;

/** One thing a connector saw at its source, already normalised to SCIM; the engine decides whether it is a real change. */
public sealed interface SourceChange {

  /**
   * A user as the source shows it now. {@code partial} means only some attributes are present (a
   * Graph delta update) and they are merged into the last known state.
   */
  record UserSeen(String id, ObjectNode resource, boolean partial) implements SourceChange {}

  /** The source says this user is gone. */
  record UserGone(String id) implements SourceChange {}

  /** A group's own attributes (never its members). */
  record GroupSeen(String id, ObjectNode resource, boolean partial) implements SourceChange {}

  /** The source says this group is gone. */
  record GroupGone(String id) implements SourceChange {}

  /**
   * Members the source reports added or removed. In a complete job, added members count as seen:
   * members never seen by the end of the job are reported removed.
   */
  record MembersDelta(String groupId, List<MemberRef> added, List<MemberRef> removed) implements SourceChange {}

  /** The group's whole member list as the source shows it now. */
  record MembersFull(String groupId, List<MemberRef> members) implements SourceChange {}
}
