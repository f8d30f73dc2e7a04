package dev.dsync.events.identity;

/** Data of {@code dsync.group.user_added|user_removed}: a direct membership began or ended. */
public record MembershipEventData(long sequence, CanonicalGroup group, CanonicalUser user) {}
