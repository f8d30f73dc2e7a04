package dev.dsync.platform.outbox;

import dev.dsync.platform.errors.ProblemException;
import java.util.List;

/**
 * An event larger than Kafka takes (a record is at most 1 MB): refused when it is appended, so the
 * write that caused it fails (413 on an API) rather than the relay retrying the row forever with
 * every row behind it in its bucket held up.
 */
public class PayloadTooLargeException extends ProblemException {

  public PayloadTooLargeException(String type, long bytes, long limit) {
    super(413, "https://dsync.dev/problems/too-large", "Payload Too Large",
        "the resulting " + type + " event would be " + bytes + " bytes; at most " + limit + " can be published", List.of());
  }
}
