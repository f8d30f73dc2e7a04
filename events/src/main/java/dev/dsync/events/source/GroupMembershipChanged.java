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
   * Most bytes of member references one event carries, as producers split deltas: member values
   * are client-chosen strings, and 1,000 long ones would pass Kafka's 1 MB record limit.
   */
  public static final int MAX_MEMBER_BYTES_PER_EVENT = 400_000;

  /** As {@link #split(int, int)} with {@link #MAX_MEMBER_BYTES_PER_EVENT}. */
  public List<GroupMembershipChanged> split(int maxMembers) {
    return split(maxMembers, MAX_MEMBER_BYTES_PER_EVENT);
  }

  /**
   * This delta as events naming at most {@code maxMembers} members and about {@code maxBytes} of
   * member JSON each (a member's size is over-estimated as 3 bytes a character plus 30), removals
   * first (the order a consumer applies them within one event). A replacement is not split: its
   * complete list is its meaning, so producers send an exact delta instead.
   */
  public List<GroupMembershipChanged> split(int maxMembers, int maxBytes) {
    List<MemberRef> a = added == null ? List.of() : added;
    List<MemberRef> r = removed == null ? List.of() : removed;
    if (replaced || (a.size() + r.size() <= maxMembers && bytes(a) + bytes(r) <= maxBytes)) {
      return List.of(this);
    }
    List<GroupMembershipChanged> out = new ArrayList<>();
    for (List<MemberRef> part : parts(r, maxMembers, maxBytes)) {
      out.add(withMembers(List.of(), part));
    }
    for (List<MemberRef> part : parts(a, maxMembers, maxBytes)) {
      out.add(withMembers(part, List.of()));
    }
    return out;
  }

  private static List<List<MemberRef>> parts(List<MemberRef> refs, int maxMembers, int maxBytes) {
    List<List<MemberRef>> parts = new ArrayList<>();
    int from = 0;
    long size = 0;
    for (int i = 0; i < refs.size(); i++) {
      long b = bytes(refs.get(i));
      if (i > from && (i - from >= maxMembers || size + b > maxBytes)) {
        parts.add(refs.subList(from, i));
        from = i;
        size = 0;
      }
      size += b;
    }
    if (from < refs.size()) {
      parts.add(refs.subList(from, refs.size()));
    }
    return parts;
  }

  private static long bytes(List<MemberRef> refs) {
    long total = 0;
    for (MemberRef ref : refs) {
      total += bytes(ref);
    }
    return total;
  }

  private static long bytes(MemberRef ref) {
    return estimatedBytes(ref.value(), ref.type());
  }

  /** A member reference's JSON size, over-estimated (3 bytes a character, 30 for the syntax): what splits count. */
  public static long estimatedBytes(String value, String type) {
    return 30L + 3L * ((value == null ? 0 : value.length()) + (type == null ? 0 : type.length()));
  }

  private GroupMembershipChanged withMembers(List<MemberRef> a, List<MemberRef> r) {
    return new GroupMembershipChanged(groupId, sourceVersion, sourceTime, List.copyOf(a), List.copyOf(r), false, actor, jobId);
  }
}
