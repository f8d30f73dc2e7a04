package dev.dsync.poller.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/**
 * What a connector needs to read one connection: its settings, scope, decrypted credentials (kept
 * in memory only for the job), the state the last completed job left, and the job's counters.
 */
public record SourceContext(
    UUID connectionId,
    String tenantId,
    ObjectNode settings,
    ObjectNode scope,
    ObjectNode credentials,
    String incrementalState,
    JobStats stats) {

  /** A settings value, or {@code fallback} when absent or blank. */
  public String setting(String name, String fallback) {
    var v = settings.get(name);
    return v == null || v.isNull() || v.asText().isBlank() ? fallback : v.asText();
  }

  /** A credentials value, or null. */
  public String secret(String name) {
    var v = credentials == null ? null : credentials.get(name);
    return v == null || v.isNull() ? null : v.asText();
  }

  @Override
  public String toString() {
    // Records print every component; credentials must never reach a log line.
    return "SourceContext[connectionId=" + connectionId + ", tenantId=" + tenantId + "]";
  }
}
