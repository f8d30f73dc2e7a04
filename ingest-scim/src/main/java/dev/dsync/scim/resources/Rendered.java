package dev.dsync.scim.resources;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/** A resource as returned to the client, with its version for the ETag. */
public record Rendered(UUID id, long version, ObjectNode json) {

  public String etag() {
    return etag(version);
  }

  public static String etag(long version) {
    return "W/\"" + version + "\"";
  }
}
