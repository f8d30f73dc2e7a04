package dev.dsync.webhooks.delivery;

import java.time.Instant;

/** One finished HTTP attempt of a leased delivery, waiting to be recorded. */
record Sent(Claimed job, HttpResult result, Instant attemptedAt, int generation) {}
