package dev.dsync.scim;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import java.util.Set;
import java.util.UUID;

/** Creates tenants, directories and tokens through the admin API, and SCIM requests with a token. */
public final class ScimTestSupport {

  private ScimTestSupport() {}

  /** A directory of a fresh tenant with its first token. */
  public record Dir(String tenant, String id, String token) {
    public RequestSpecification scim() {
      return given().auth().oauth2(token).contentType("application/scim+json").basePath("/scim/v2/" + id);
    }
  }

  public static String newTenant() {
    return "t-" + UUID.randomUUID().toString().substring(0, 8);
  }

  public static String adminToken(String tenant) {
    return Jwt.subject("admin@" + tenant).claim("tenant", tenant).groups(Set.of("tenant-admin")).sign();
  }

  public static Dir newDirectory() {
    return newDirectory(newTenant());
  }

  public static Dir newDirectory(String tenant) {
    Response r =
        given().auth().oauth2(adminToken(tenant)).contentType(ContentType.JSON).body("{\"name\":\"Okta prod\"}")
            .post("/api/v1/scim-directories").then().statusCode(201).extract().response();
    return new Dir(tenant, r.path("directory.id"), r.path("token.token"));
  }
}
