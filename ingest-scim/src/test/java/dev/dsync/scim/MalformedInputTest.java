package dev.dsync.scim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Fuzz-style: hundreds of malformed bodies and filters, mutated from valid ones with a fixed seed.
 * Every answer must be a SCIM 4xx (never a 5xx) and nothing may be written: no resource changes and
 * no event in the outbox.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class MalformedInputTest {

  @Inject Pool pool;

  static final String USER = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"fuzz@example.com\","
      + "\"name\":{\"givenName\":\"F\",\"familyName\":\"Z\"},\"active\":true,\"emails\":[{\"value\":\"fuzz@example.com\",\"type\":\"work\"}]}";
  static final String PATCH = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"name.givenName\",\"value\":\"G\"}]}";
  static final String GROUP_PATCH = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"m1\"}]}]}";
  static final String FILTER = "emails[type eq \"work\" and value co \"@example.com\"] or (userName sw \"f\" and not (active eq false))";

  @Test
  void malformed_requests_get_4xx_and_change_nothing() {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    String userId = dir.scim().body(USER).post("/Users").then().statusCode(201).extract().path("id");
    String groupId = dir.scim().body("{\"displayName\":\"G\"}").post("/Groups").then().statusCode(201).extract().path("id");

    Random random = new Random(20261123);
    List<String> fails = new ArrayList<>();
    int rejected = 0;
    for (int i = 0; i < 100; i++) {
      String n = "fuzz" + i + "@";
      rejected += send(fails, dir, "POST /Users", () -> dir.scim().body(mutate(USER.replace("fuzz@", n), random)).post("/Users"));
      rejected += send(fails, dir, "PATCH /Users", () -> dir.scim().body(mutate(PATCH, random)).patch("/Users/" + userId));
      rejected += send(fails, dir, "PUT /Users", () -> dir.scim().body(mutate(USER, random)).put("/Users/" + userId));
      rejected += send(fails, dir, "PATCH /Groups", () -> dir.scim().body(mutate(GROUP_PATCH, random)).patch("/Groups/" + groupId));
      rejected += send(fails, dir, "GET filter", () -> dir.scim().queryParam("filter", mutateText(FILTER, random)).get("/Users"));
    }
    // Hand-picked cases that mutation rarely produces.
    for (String body : List.of("", "null", "[]", "\"x\"", "{", "{}", "{\"userName\":null}", "{\"userName\":{}}", "{\"userName\":\"\"}",
        "{\"userName\":\"x\",\"active\":\"maybe\"}", "{\"userName\":\"x\",\"emails\":\"nope\"}", "{\"userName\":\"x\",\"name\":[1,2]}",
        "{\"userName\":\"x\"} trailing", "{\"userName\":\"nul\\u0000@example.com\"}",
        "{\"userName\":\"x@example.com\",\"name\":{\"givenName\":\"\\u0000\"}}", "{\"userName\":\"x@example.com\",\"title\\u0000\":\"t\"}")) {
      rejected += expectRejected(fails, dir, "POST /Users " + body.substring(0, Math.min(40, body.length())), () -> dir.scim().body(body).post("/Users"));
    }
    rejected += expectRefusedOversize(fails, dir, "{\"userName\":\"" + "x".repeat(2_000_000) + "\"}");
    for (String body : List.of("{}", "{\"Operations\":[]}", "{\"Operations\":[{\"op\":\"explode\",\"path\":\"active\"}]}",
        "{\"Operations\":[{\"op\":\"replace\",\"path\":\"id\",\"value\":\"x\"}]}", "{\"Operations\":[{\"op\":\"replace\",\"path\":\"meta.created\",\"value\":\"x\"}]}",
        "{\"Operations\":[{\"op\":\"remove\"}]}", "{\"Operations\":[{\"op\":\"add\",\"path\":\"emails[type eq \\\"work\\\"\",\"value\":\"x\"}]}",
        "{\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":\"perhaps\"}]}", "{\"Operations\":[{\"op\":\"remove\",\"path\":\"userName\"}]}",
        "{\"Operations\":[{\"op\":\"replace\",\"path\":\"userName\",\"value\":\"\"}]}", "{\"Operations\":[{\"op\":\"replace\",\"value\":{\"groups\":[]}}]}",
        "{\"Operations\":[{\"op\":\"replace\",\"path\":\"name.givenName\",\"value\":\"ok\"},{\"op\":\"replace\",\"path\":\"id\",\"value\":\"x\"}]}",
        "{\"Operations\":[{\"op\":\"replace\",\"path\":\"name.givenName\",\"value\":\"n\\u0000ul\"}]}")) {
      rejected += expectRejected(fails, dir, "PATCH /Users " + body, () -> dir.scim().body(body).patch("/Users/" + userId));
    }
    for (String filter : List.of("userName eq", "userName eq \"a\" and", "emails[type eq \"work\"", "(((", "userName eq \"a\")",
        "meta.lastModified gt \"not a date\"", "active eq \"yes\"", "name eq \"x\"", "a.b.c.d eq \"x\"")) {
      rejected += expectRejected(fails, dir, "GET filter " + filter, () -> dir.scim().queryParam("filter", filter).get("/Users"));
    }
    rejected += expectRejected(fails, dir, "GET bad startIndex", () -> dir.scim().queryParam("startIndex", "one").get("/Users"));
    rejected += expectRejected(fails, dir, "GET bad sortOrder", () -> dir.scim().queryParam("sortOrder", "sideways").get("/Users"));
    rejected += expectRejected(fails, dir, "GET bad sortBy", () -> dir.scim().queryParam("sortBy", "x'; drop table").get("/Users"));
    // A NUL character cannot be stored (PostgreSQL text and jsonb): a member id, a group name, a filter value.
    rejected += expectRejected(fails, dir, "PATCH /Groups NUL member", () -> dir.scim()
        .body("{\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"m\\u0000\"}]}]}").patch("/Groups/" + groupId));
    rejected += expectRejected(fails, dir, "PATCH /Groups NUL member display", () -> dir.scim()
        .body("{\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"m2\",\"display\":\"d\\u0000\"}]}]}").patch("/Groups/" + groupId));
    rejected += expectRejected(fails, dir, "POST /Groups NUL name", () -> dir.scim().body("{\"displayName\":\"G\\u0000\"}").post("/Groups"));
    rejected += expectRejected(fails, dir, "GET filter NUL", () -> dir.scim().queryParam("filter", "userName eq \"a\u0000b\"").get("/Users"));

    assertThat(fails).isEmpty();
    assertThat(rejected).as("most mutations are rejected").isGreaterThan(300);
  }

  /** Sends; a 5xx is a failure; a 4xx must be a SCIM error that left state and outbox untouched. */
  private int send(List<String> fails, ScimTestSupport.Dir dir, String what, java.util.function.Supplier<Response> request) {
    String before = snapshot(dir.id()) + "/" + outbox(dir.id());
    Response r = request.get();
    int status = r.statusCode();
    if (status >= 500) {
      fails.add(what + " -> " + status + " " + r.asString());
      return 0;
    }
    if (status < 400) {
      return 0;
    }
    String after = snapshot(dir.id()) + "/" + outbox(dir.id());
    if (!after.equals(before)) {
      fails.add(what + " -> " + status + " but wrote something");
    }
    if (status != 413 && !r.asString().contains("urn:ietf:params:scim:api:messages:2.0:Error")) {
      fails.add(what + " -> " + status + " without a SCIM error body: " + r.asString());
    }
    if (r.asString().contains("Exception") || r.asString().contains("at dev.")) {
      fails.add(what + " -> leaks internals: " + r.asString());
    }
    return 1;
  }

  /**
   * A body over the limit is answered 413 as soon as its Content-Length is read, and the server may
   * close the connection while the client is still writing: the client then sees a broken pipe, not
   * the 413. Either way the request must have changed nothing.
   */
  private int expectRefusedOversize(List<String> fails, ScimTestSupport.Dir dir, String body) {
    String before = snapshot(dir.id()) + "/" + outbox(dir.id());
    try {
      return expectRejected(fails, dir, "POST /Users oversize", () -> dir.scim().body(body).post("/Users"));
    } catch (Exception e) { // RestAssured rethrows the socket's IOException unchecked
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof java.net.SocketException)) {
        cause = cause.getCause();
      }
      if (!(cause instanceof java.net.SocketException)) {
        throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
      }
      if (!(snapshot(dir.id()) + "/" + outbox(dir.id())).equals(before)) {
        fails.add("POST /Users oversize -> connection closed but wrote something");
      }
      return 1;
    }
  }

  private int expectRejected(List<String> fails, ScimTestSupport.Dir dir, String what, java.util.function.Supplier<Response> request) {
    int n = send(fails, dir, what, request);
    if (n == 0 && fails.stream().noneMatch(f -> f.startsWith(what))) {
      fails.add(what + " was accepted");
    }
    return n;
  }

  String snapshot(String directoryId) {
    return pool.preparedQuery("select coalesce(string_agg(id::text || ':' || version, ',' order by id), '') from ("
            + " select id, version from scim_user where directory_id = $1 union all select id, version from scim_group where directory_id = $1) x")
        .execute(Tuple.of(UUID.fromString(directoryId))).await().indefinitely().iterator().next().getString(0);
  }

  long outbox(String directoryId) {
    return pool.preparedQuery("select count(*) from outbox_event where directory_id = $1").execute(Tuple.of(directoryId))
        .await().indefinitely().iterator().next().getLong(0);
  }

  static String mutate(String json, Random random) {
    return mutateText(json, random);
  }

  /** One random corruption: truncate, delete, duplicate, swap in a hostile token, or flip a character. */
  static String mutateText(String text, Random random) {
    int at = random.nextInt(Math.max(1, text.length()));
    String[] tokens = {"\"", "{", "}", "[", "]", ",", ":", "null", "true", "12e999", "\\u0000", "\"\\", "'", "ðŸ’¥", "\u0000", "-", "\"a\":"};
    return switch (random.nextInt(6)) {
      case 0 -> text.substring(0, at);
      case 1 -> text.substring(0, at) + text.substring(Math.min(text.length(), at + 1 + random.nextInt(8)));
      case 2 -> text.substring(0, at) + text.substring(at, Math.min(text.length(), at + 10)) + text.substring(at);
      case 3 -> text.substring(0, at) + tokens[random.nextInt(tokens.length)] + text.substring(at);
      case 4 -> text.substring(0, at) + (char) (32 + random.nextInt(95)) + text.substring(Math.min(text.length(), at + 1));
      default -> text.replace("\"", random.nextBoolean() ? "'" : "");
    };
  }
}
