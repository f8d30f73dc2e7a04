package dev.dsync.scim.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.scim2.common.Path;
import com.unboundid.scim2.common.exceptions.BadRequestException;
import com.unboundid.scim2.common.exceptions.ScimException;
import com.unboundid.scim2.common.messages.PatchOperation;
import com.unboundid.scim2.common.utils.JsonUtils;
import dev.dsync.scim.protocol.ScimProblem;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Applies normalised PATCH operations to a stored resource document with the SCIM SDK. */
public final class Patches {

  private static final ObjectMapper SDK = JsonUtils.createObjectMapper();
  private static final Set<String> READ_ONLY = Set.of("id", "meta", "groups");

  private Patches() {}

  public static PatchOperation parse(JsonNode op) {
    try {
      return SDK.treeToValue(op, PatchOperation.class);
    } catch (Exception e) {
      Throwable cause = e.getCause() instanceof BadRequestException b ? b : e;
      if (cause instanceof BadRequestException b) {
        String type = b.getScimError().getScimType();
        throw new ScimProblem(400, type == null ? "invalidPath" : type, firstLine(b.getMessage()));
      }
      throw ScimProblem.invalidSyntax("the operation " + op.path("op").asText() + " is malformed");
    }
  }

  /** Root attribute name a path targets (lower case), or null for a path-less operation. */
  public static String root(PatchOperation op) {
    Path p = op.getPath();
    if (p == null || p.size() == 0) {
      return null;
    }
    String urn = p.getSchemaUrn();
    if (urn != null && urn.toLowerCase(Locale.ROOT).contains(":extension:")) {
      return urn.toLowerCase(Locale.ROOT);
    }
    return p.getElement(0).getAttribute().toLowerCase(Locale.ROOT);
  }

  /** Applies {@code ops} to {@code doc} in order; refuses changes to read-only attributes. */
  public static void apply(ObjectNode doc, List<PatchOperation> ops) {
    for (PatchOperation op : ops) {
      String root = root(op);
      if (root != null && READ_ONLY.contains(root)) {
        throw ScimProblem.mutability("'" + root + "' is read-only");
      }
      if (root == null && op.getJsonNode() != null && op.getJsonNode().isObject()) {
        ObjectNode value = (ObjectNode) op.getJsonNode();
        // Okta's rename sends the group's own id beside displayName: an unchanged id is no change.
        value.remove(List.of("id", "meta", "schemas"));
        value.fieldNames().forEachRemaining(n -> {
          if (READ_ONLY.contains(n.toLowerCase(Locale.ROOT))) {
            throw ScimProblem.mutability("'" + n + "' is read-only");
          }
        });
        if (value.isEmpty()) {
          continue;
        }
      }
      try {
        op.apply(doc);
      } catch (ScimException e) {
        String type = e.getScimError().getScimType();
        throw new ScimProblem(e.getScimError().getStatus(), type, firstLine(e.getMessage()));
      } catch (RuntimeException e) {
        throw ScimProblem.invalidValue("the operation could not be applied: " + firstLine(e.getMessage()));
      }
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "invalid operation";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
