package dev.dsync.webhooks.delivery;

import dev.dsync.events.webhook.WebhookAttempt.Outcome;
import dev.dsync.webhooks.config.WebhooksConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Decides what follows an attempt: done, retry when (schedule with jitter, Retry-After honoured for
 * 429/502/503/504 up to a bound), failed for good, or endpoint disabled (410 Gone, or failing for
 * longer than the configured time).
 */
@ApplicationScoped
public class RetryPolicy {

  private static final Set<Integer> HONOURS_RETRY_AFTER = Set.of(429, 502, 503, 504);

  /** The verdict on one attempt. */
  public record Decision(Outcome outcome, Instant nextAttemptAt, String disableReason) {}

  private final List<Duration> schedule;
  private final double jitter;
  private final Duration maxRetryAfter;
  private final Duration disableAfter;

  @Inject
  public RetryPolicy(WebhooksConfig config) {
    this(config.retrySchedule(), config.retryJitter(), config.maxRetryAfter(), config.disableAfter());
  }

  public RetryPolicy(List<Duration> schedule, double jitter, Duration maxRetryAfter, Duration disableAfter) {
    if (schedule.isEmpty()) {
      throw new IllegalStateException("dsync.webhooks.retry-schedule needs at least one entry");
    }
    this.schedule = List.copyOf(schedule);
    this.jitter = jitter;
    this.maxRetryAfter = maxRetryAfter;
    this.disableAfter = disableAfter;
  }

  /** When a new delivery's first attempt is due. */
  public Instant firstAttemptAt(Instant now) {
    return now.plus(schedule.get(0));
  }

  /**
   * @param attemptsInRound attempts made since the delivery was (re)scheduled, this one included
   * @param failingSince start of the endpoint's current failure run before this attempt, or null
   */
  public Decision decide(HttpResult result, int attemptsInRound, Instant now, Instant failingSince) {
    if (result.succeeded()) {
      return new Decision(Outcome.SUCCEEDED, null, null);
    }
    if (result.status() != null && result.status() == 410) {
      return new Decision(Outcome.ENDPOINT_DISABLED, null, "the endpoint answered 410 Gone");
    }
    Instant since = failingSince == null ? now : failingSince;
    if (Duration.between(since, now).compareTo(disableAfter) >= 0) {
      return new Decision(Outcome.ENDPOINT_DISABLED, null, "every attempt failed for " + disableAfter);
    }
    if (attemptsInRound >= schedule.size()) {
      return new Decision(Outcome.FAILED, null, null);
    }
    Duration delay = jittered(schedule.get(attemptsInRound));
    if (result.status() != null && HONOURS_RETRY_AFTER.contains(result.status())) {
      Duration asked = retryAfter(result.retryAfter(), now);
      if (asked != null) {
        asked = asked.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : asked;
        delay = asked.compareTo(delay) > 0 ? asked : delay;
      }
    }
    return new Decision(Outcome.RETRYING, now.plus(delay), null);
  }

  private Duration jittered(Duration base) {
    if (jitter <= 0 || base.isZero()) {
      return base;
    }
    double factor = 1 + ThreadLocalRandom.current().nextDouble(-jitter, jitter);
    return Duration.ofMillis(Math.max(0, Math.round(base.toMillis() * factor)));
  }

  /** Retry-After as delay-seconds or an HTTP-date (RFC 9110); null if absent or unreadable. */
  static Duration retryAfter(String header, Instant now) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String value = header.trim();
    try {
      long seconds = Long.parseLong(value);
      return seconds < 0 ? null : Duration.ofSeconds(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
      } catch (DateTimeParseException notDate) {
        return null;
      }
    }
  }
}
