package dev.dsync.platform.outbox;

/**
 * Event data already written as JSON ({@link OutboxMessage#written()}): the outbox stores the text
 * as it is instead of writing the data again.
 */
public record JsonText(String json) {}
