package dev.dsync.poller.connections;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.poller.source.ConnectionType;
import java.util.UUID;

/** A connection with its decrypted credentials, for a job or a test run; never rendered or logged. */
public record Connection(
    UUID id,
    String tenantId,
    String name,
    ConnectionType type,
    ObjectNode settings,
    ObjectNode scope,
    ObjectNode credentials,
    String state,
    String incrementalState) {

  @Override
  public String toString() {
    return "Connection[id=" + id + ", tenantId=" + tenantId + ", type=" + type.wire() + "]";
  }
}
