package dev.dsync.poller.source;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;

/** Reads jsonb columns (which the pg client hands over as Vert.x JSON) as Jackson nodes. */
public final class JsonColumns {

  private JsonColumns() {}

  /** The column as an object node; an empty one for SQL null. */
  public static ObjectNode object(Row row, String column) {
    Object v = row.getValue(column);
    if (v == null) {
      return JsonNodeFactory.instance.objectNode();
    }
    String text = v instanceof JsonObject jo ? jo.encode() : v.toString();
    try {
      return (ObjectNode) EventJson.mapper().readTree(text);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("column " + column + " does not hold a JSON object");
    }
  }

  /** The column as an object node, or null for SQL null. */
  public static ObjectNode objectOrNull(Row row, String column) {
    return row.getValue(column) == null ? null : object(row, column);
  }
}
