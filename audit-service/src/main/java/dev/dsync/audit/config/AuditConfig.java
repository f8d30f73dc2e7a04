package dev.dsync.audit.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Settings of the audit-service. */
@ConfigMapping(prefix = "dsync.audit")
public interface AuditConfig {

  /**
   * Keys whose values are secrets and are replaced by {@code [REDACTED]} before a record is
   * stored. Matched case-insensitively against the end of each key with '_' and '-' removed, so
   * {@code clientSecret} and {@code client_secret} match {@code secret} while {@code tokenId} does
   * not match {@code token}.
   */
  @WithDefault(
      "password,passwd,secret,token,apikey,credential,credentials,privatekey,authorization,cookie,"
          + "signature,bearer")
  List<String> redactKeys();

  /** Checkpoints: the chain heads published to dsync.audit.records. */
  Checkpoint checkpoint();

  /** Retention: deleting old records without breaking verification. */
  Retention retention();

  /** Query and export. */
  Query query();

  /** Checkpoint settings. */
  interface Checkpoint {

    /** Whether this process publishes checkpoints periodically (tests trigger them by hand). */
    @WithDefault("true")
    boolean enabled();

    /** How often chain heads that moved since their last checkpoint are checkpointed. */
    @WithDefault("5m")
    Duration interval();

    /** Most tenants checkpointed per transaction. */
    @WithDefault("200")
    int batchSize();
  }

  /** Retention settings. */
  interface Retention {

    /** Whether this process runs the retention job periodically. */
    @WithDefault("true")
    boolean enabled();

    /** How often the retention job runs. */
    @WithDefault("1h")
    Duration interval();

    /** How long records are kept unless a tenant has its own period. */
    @WithDefault("P400D")
    Duration period();

    /** Per-tenant retention periods, e.g. {@code dsync.audit.retention.tenants.acme=P730D}. */
    Map<String, Duration> tenants();

    /** Rows deleted per statement, so retention never holds long locks or a huge transaction. */
    @WithDefault("5000")
    int batchSize();
  }

  /** Query and export settings. */
  interface Query {

    /** Page size when the caller gives none. */
    @WithDefault("50")
    int defaultLimit();

    /** Largest page a caller may ask for. */
    @WithDefault("500")
    int maxLimit();

    /** Rows fetched per round trip by export and verify cursors (bounds their memory). */
    @WithDefault("500")
    int fetchSize();
  }

  /** The retention period of {@code tenantId}. */
  default Duration retentionOf(String tenantId) {
    return retention().tenants().getOrDefault(tenantId, retention().period());
  }
}
