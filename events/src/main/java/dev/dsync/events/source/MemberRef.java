package dev.dsync.events.source;

/** A member of a group as the source names it: the member's source id and its type (User, Group). */
public record MemberRef(String value, String type) {}
