package dev.dsync.scim.resources;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.dsync.scim.protocol.ScimProblem;

/** Parses request bodies ourselves, so malformed JSON is a SCIM invalidSyntax error, not a framework one. */
public final class ScimBodies {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private ScimBodies() {}

  public static JsonNode parse(String body) {
    if (body == null || body.isBlank()) {
      throw ScimProblem.invalidSyntax("the request needs a JSON body");
    }
    try {
      return MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      long line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
      long col = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
      throw ScimProblem.invalidSyntax("the body is not valid JSON (line " + line + ", column " + col + ")");
    }
  }
}
