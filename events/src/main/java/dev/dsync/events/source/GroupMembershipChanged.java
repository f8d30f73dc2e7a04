package dev.dsync.events.source;

import dev.dsync.events.Actor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Members were added to or removed from a group: the delta only. {@code replaced} is true when the
 * source replaced the whole member list; {@code added} then holds the complete new list.
 *
 * <p>A large delta travels as several events of the same {@code sourceVersion} (see {@link
 * #split(int)}): a Kafka record is at most 1 MB, and a group's first listing can name 100,000
 * members.
 */
public record GroupMembershipChanged(
    String groupId,
    long sourceVersion,
    Instant sourceTime,
    List<MemberRef> added,
    List<MemberRef> removed,
    boolean replaced,
    Actor actor,
    String jobId) {

  /** Most members one event names, as producers split deltas: ~60 KB of JSON at typical id lengths. */
  public static final int MAX_MEMBERS_PER_EVENT = 1000;

  /**
   * This delta as events naming at most {@code maxMembers} members each, removals first (the order
   * a consumer applies them within one event). A replacement is not split: its complete list is
   * its meaning, so producers send an exact delta instead.
   */
  public List<GroupMembershipChanged> split(int maxMembers) {
    List<MemberRef> a = added == null ? List.of() : added;
    List<MemberRef> r = removed == null ? List.of() : removed;
    if (replaced || a.size() + r.size() <= maxMembers) {
      return List.of(this);
    }
    List<GroupMembershipChanged> out = new ArrayList<>();
    for (int i = 0; i < r.size(); i += maxMembers) {
      out.add(withMembers(List.of(), r.subList(i, Math.min(r.size(), i + maxMembers))));
    }
    for (int i = 0; i < a.size(); i += maxMembers) {
      out.add(withMembers(a.subList(i, Math.min(a.size(), i + maxMembers)), List.of()));
    }
    return out;
  }

  private GroupMembershipChanged withMembers(List<MemberRef> a, List<MemberRef> r) {
    return new GroupMembershipChanged(groupId, sourceVersion, sourceTime, List.copyOf(a), List.copyOf(r), false, actor, jobId);
  }
}
