package dev.dsync.events.source;

import dev.dsync.events.Actor;
import java.time.Instant;
import java.util.List;

/**
 * Members were added to or removed from a group: the delta only. {@code replaced} is true when the
 * source replaced the whole member list; {@code added} then holds the complete new list.
 */
public record GroupMembershipChanged(
    String groupId,
    long sourceVersion,
    Instant sourceTime,
    List<MemberRef> added,
    List<MemberRef> removed,
    boolean replaced,
    Actor actor,
    String jobId) {}
