package dev.dsync.webhooks;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Shared steps of the service tests: create endpoints through the API, read state back. */
final class Fixtures {

  record CreatedEndpoint(String id, String secret) {}

  private Fixtures() {}

  static CreatedEndpoint endpoint(String tenant, String url) {
    return create(tenant, "{\"url\":\"" + url + "\"}");
  }

  static CreatedEndpoint endpoint(String tenant, String url, String extraJson) {
    return create(tenant, "{\"url\":\"" + url + "\"," + extraJson + "}");
  }

  static CreatedEndpoint create(String tenant, String json) {
    var body =
        given().auth().oauth2(Tokens.admin(tenant)).contentType(ContentType.JSON).body(json)
            .post("/api/v1/webhook-endpoints").then().statusCode(201).extract().jsonPath();
    return new CreatedEndpoint(body.getString("id"), body.getString("secret"));
  }

  static String deliveryStatus(Pool pool, UUID messageId, String endpointId) {
    List<Row> rows = rows(pool, "select status from webhook.delivery where message_id = $1 and endpoint_id = $2::uuid", messageId, endpointId);
    return rows.isEmpty() ? null : rows.get(0).getString("status");
  }

  /** Outcomes of the attempts of one message to one endpoint, in order. */
  static List<String> outcomes(Pool pool, UUID messageId, String endpointId) {
    List<String> out = new ArrayList<>();
    for (Row r : rows(pool, "select outcome from webhook.attempt where message_id = $1 and endpoint_id = $2::uuid order by attempt_no", messageId, endpointId)) {
      out.add(r.getString("outcome"));
    }
    return out;
  }

  static List<Row> rows(Pool pool, String sql, Object... params) {
    List<Row> out = new ArrayList<>();
    pool.preparedQuery(sql).execute(Tuple.from(params)).await().indefinitely().forEach(out::add);
    return out;
  }
}
