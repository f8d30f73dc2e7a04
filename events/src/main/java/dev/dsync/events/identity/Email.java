package dev.dsync.events.identity;

/** An email address of a user. */
public record Email(String value, String type, boolean primary) {}
