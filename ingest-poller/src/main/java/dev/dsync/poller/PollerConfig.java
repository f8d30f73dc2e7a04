package dev.dsync.poller;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Settings of the poller: credential encryption, scheduling, leases and source HTTP behaviour. */
@ConfigMapping(prefix = "dsync.poller")
public interface PollerConfig {

  /** AES-256-GCM key for connection credentials, base64 of 32 bytes; the service refuses to start without one. */
  Optional<String> credentialsKey();

  /** How often the scheduler looks for due connections and claimable jobs (a duration such as 15s, or off). */
  @WithDefault("15s")
  String schedulerTick();

  /** How long a replica owns a job without committing a page; after that another replica may resume it. */
  @WithDefault("2m")
  Duration lease();

  /** Most jobs this replica runs at once. */
  @WithDefault("4")
  int maxConcurrentJobs();

  /** Incremental interval a new connection gets when it names none, in minutes. */
  @WithDefault("15")
  int defaultIncrementalMinutes();

  /** Snapshot rows handled per transaction when a complete job sweeps for deletions. */
  @WithDefault("500")
  int sweepBatch();

  /** Source HTTP calls. */
  Http http();

  /**
   * Whether connections may reach loopback, private, link-local (cloud metadata) and other
   * internal addresses. Off in production, where a tenant admin's URL must not reach the
   * platform's own network; on in dev and test, whose fakes and ingest-scim run on loopback.
   */
  @WithDefault("false")
  boolean allowPrivateTargets();

  /** Behaviour of calls to source APIs (Graph, Okta, Google, SCIM). */
  interface Http {

    /** Attempts per request before a throttled or failing call fails the job. */
    @WithDefault("6")
    int maxAttempts();

    /** First backoff delay; doubled per attempt, with full jitter. */
    @WithDefault("500ms")
    Duration backoffBase();

    /** Longest wait between attempts, whatever Retry-After asks for. */
    @WithDefault("60s")
    Duration backoffMax();

    /** Timeout of one request. */
    @WithDefault("30s")
    Duration timeout();

    /** Most requests per second one connection makes (its request budget). */
    @WithDefault("20")
    int requestsPerSecond();
  }
}
