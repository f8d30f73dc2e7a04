package dev.dsync.webhooks.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;

/** Settings of the webhook dispatcher: endpoint policy, secrets, delivery and retries. */
@ConfigMapping(prefix = "dsync.webhooks")
public interface WebhooksConfig {

  /**
   * Whether endpoints may point at private, loopback, link-local or metadata addresses. Only for
   * dev and test: in production this would let a tenant make dsync call internal services (SSRF).
   */
  @WithDefault("false")
  boolean allowPrivateTargets();

  /**
   * How long deliveries reuse a host's resolved and checked address before resolving it again. A
   * delivery always connects to a checked address, so this is no rebinding window; it only bounds
   * how long a host's move to a new (public) address goes unnoticed. 0 resolves on every attempt.
   */
  @WithDefault("5s")
  Duration addressCheckTtl();

  /** Whether endpoint URLs must use https (true in production, relaxed in dev and test). */
  @WithDefault("true")
  boolean requireHttps();

  /**
   * AES key (base64 of 16, 24 or 32 bytes) that encrypts endpoint secrets at rest. No default: a
   * deployment must supply it (DSYNC_WEBHOOK_ENCRYPTION_KEY).
   */
  String encryptionKey();

  /** Random bytes in a generated endpoint secret (the spec allows 24 to 64). */
  @WithDefault("32")
  int secretBytes();

  /** How long the previous secret keeps being used for signing after a rotation. */
  @WithDefault("24h")
  Duration secretRotationOverlap();

  /** Time an endpoint has to answer an attempt; a slower answer is a failure. */
  @WithDefault("15s")
  Duration requestTimeout();

  /**
   * Delay before each attempt of a message to an endpoint: the first entry is the first attempt,
   * after the last entry's attempt fails the message is FAILED for that endpoint.
   */
  @WithDefault("0s,5s,5m,30m,2h,5h,10h,10h")
  List<Duration> retrySchedule();

  /** Random spread applied to each retry delay, as a fraction (0.2 = plus or minus 20 %). */
  @WithDefault("0.2")
  double retryJitter();

  /** Upper bound on a Retry-After an endpoint may ask for (429, 502, 503, 504). */
  @WithDefault("1h")
  Duration maxRetryAfter();

  /** An endpoint whose attempts have failed without a success for this long is disabled. */
  @WithDefault("5d")
  Duration disableAfter();

  /**
   * Most attempts in flight to one endpoint from one replica; a slow endpoint only uses its own.
   * As many again wait in the endpoint's lane, so a fast endpoint never waits for the next claim.
   */
  @WithDefault("16")
  int endpointConcurrency();

  /** Most pooled HTTP connections per target host. */
  @WithDefault("64")
  int httpPoolSize();

  /** Most deliveries claimed from PostgreSQL in one query. */
  @WithDefault("200")
  int claimBatchSize();

  /** How often the worker looks for due deliveries when nothing woke it. */
  @WithDefault("1s")
  Duration pollInterval();

  /**
   * Extra time, beyond twice the request timeout, a claimed delivery stays reserved for the replica
   * that claimed it; after that another replica retries it (a crashed replica loses nothing).
   */
  @WithDefault("30s")
  Duration leaseMargin();

  /** Bytes of each response body kept with the attempt. */
  @WithDefault("4096")
  int responseBodyLimit();

  /** Whether this process delivers (a replica may serve only the API). */
  @WithDefault("true")
  boolean workerEnabled();

  /** How long messages and their attempts are kept (the replay window). */
  @WithDefault("30d")
  Duration messageRetention();
}
