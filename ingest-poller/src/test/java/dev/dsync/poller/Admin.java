package dev.dsync.poller;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import org.awaitility.Awaitility;

/** Admin API calls as a tenant administrator. */
public final class Admin {

  private Admin() {}

  public static String newTenant() {
    return "t-" + UUID.randomUUID().toString().substring(0, 8);
  }

  public static RequestSpecification as(String tenant) {
    String token = Jwt.subject("admin@" + tenant).claim("tenant", tenant).groups(Set.of("tenant-admin")).sign();
    return given().auth().oauth2(token).contentType(ContentType.JSON);
  }

  /** Creates a connection and answers its id. */
  public static String createConnection(String tenant, String body) {
    return as(tenant).body(body).post("/api/v1/connections").then().statusCode(201).extract().path("id");
  }

  /** Triggers a sync and answers the job id. */
  public static String sync(String tenant, String connectionId, String mode) {
    return as(tenant).queryParam("mode", mode).post("/api/v1/connections/" + connectionId + "/sync").then().statusCode(202).extract().path("id");
  }

  /** Waits until the job has finished and answers its final status. */
  public static String awaitJob(String tenant, String connectionId, String jobId) {
    String[] status = new String[1];
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      status[0] = as(tenant).get("/api/v1/connections/" + connectionId + "/jobs/" + jobId).then().statusCode(200).extract().path("status");
      return "COMPLETED".equals(status[0]) || "FAILED".equals(status[0]);
    });
    return status[0];
  }
}
