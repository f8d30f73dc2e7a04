package dev.dsync.platform.inbox;

import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import java.util.UUID;
import org.eclipse.microprofile.reactive.messaging.Message;

/** The CloudEvents envelope of a consumed Kafka record: what a consumer needs to deduplicate and route. */
public record ReceivedEvent(UUID id, String type, String tenantId, String directoryId, String subject) {

  /** Reads the envelope; fails for a record that is not a dsync CloudEvent. */
  @SuppressWarnings("unchecked") // the connector attaches the metadata with the payload's type
  public static ReceivedEvent of(Message<?> message) {
    IncomingCloudEventMetadata<Object> ce =
        message
            .getMetadata(IncomingCloudEventMetadata.class)
            .orElseThrow(() -> new IllegalArgumentException("not a CloudEvent: no ce_* headers"));
    String directory = ce.<String>getExtension("directoryid").orElse(null);
    return new ReceivedEvent(
        UUID.fromString(ce.getId()),
        ce.getType(),
        ce.<String>getExtension("tenantid").orElse(null),
        directory == null || directory.isEmpty() ? null : directory,
        ce.getSubject().orElse(null));
  }
}
