package dev.dsync.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.events.webhook.WebhookAttempt.Outcome;
import dev.dsync.webhooks.delivery.HttpResult;
import dev.dsync.webhooks.delivery.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private final List<Duration> schedule =
      List.of(Duration.ZERO, Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(2),
          Duration.ofHours(5), Duration.ofHours(10), Duration.ofHours(10));
  private final RetryPolicy policy = new RetryPolicy(schedule, 0.2, Duration.ofHours(1), Duration.ofDays(5));
  private final Instant now = Instant.parse("2026-11-23T10:00:00Z");

  @Test
  void follows_the_schedule_with_jitter_then_fails() {
    for (int attempt = 1; attempt < schedule.size(); attempt++) {
      RetryPolicy.Decision d = policy.decide(HttpResult.response(500, null, null, 3), attempt, now, now);
      assertThat(d.outcome()).isEqualTo(Outcome.RETRYING);
      long delay = Duration.between(now, d.nextAttemptAt()).toMillis();
      long base = schedule.get(attempt).toMillis();
      assertThat(delay).as("attempt %d", attempt).isBetween((long) (base * 0.8), (long) (base * 1.2));
    }
    assertThat(policy.decide(HttpResult.failure("timeout", 15000), schedule.size(), now, now).outcome()).isEqualTo(Outcome.FAILED);
  }

  @Test
  void success_gone_and_long_failure() {
    assertThat(policy.decide(HttpResult.response(204, null, null, 3), 1, now, null).outcome()).isEqualTo(Outcome.SUCCEEDED);
    RetryPolicy.Decision gone = policy.decide(HttpResult.response(410, null, null, 3), 1, now, null);
    assertThat(gone.outcome()).isEqualTo(Outcome.ENDPOINT_DISABLED);
    assertThat(gone.disableReason()).contains("410");
    assertThat(policy.decide(HttpResult.response(302, null, null, 3), 1, now, null).outcome())
        .as("redirects are failures").isEqualTo(Outcome.RETRYING);
    RetryPolicy.Decision tooLong = policy.decide(HttpResult.response(500, null, null, 3), 2, now, now.minus(Duration.ofDays(5)));
    assertThat(tooLong.outcome()).isEqualTo(Outcome.ENDPOINT_DISABLED);
  }

  @Test
  void retry_after_is_honoured_for_429_502_503_504_and_clamped() {
    RetryPolicy.Decision seconds = policy.decide(HttpResult.response(429, "120", null, 3), 1, now, null);
    assertThat(seconds.nextAttemptAt()).isEqualTo(now.plusSeconds(120));
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(600).atOffset(ZoneOffset.UTC));
    assertThat(policy.decide(HttpResult.response(503, date, null, 3), 1, now, null).nextAttemptAt()).isEqualTo(now.plusSeconds(600));
    assertThat(policy.decide(HttpResult.response(503, "86400", null, 3), 1, now, null).nextAttemptAt())
        .as("clamped").isEqualTo(now.plus(Duration.ofHours(1)));
    assertThat(Duration.between(now, policy.decide(HttpResult.response(500, "120", null, 3), 1, now, null).nextAttemptAt()))
        .as("500 does not honour Retry-After").isLessThan(Duration.ofSeconds(7));
    assertThat(Duration.between(now, policy.decide(HttpResult.response(503, "junk", null, 3), 1, now, null).nextAttemptAt()))
        .isLessThan(Duration.ofSeconds(7));
  }
}
