package dev.dsync.reconciler;

import static io.restassured.RestAssured.given;

import io.restassured.path.json.JsonPath;

/** The sync-job API as the tests read it. */
public final class SyncJobs {

  private SyncJobs() {}

  /** {@code GET /api/v1/sync-jobs/{id}}, which must answer 200. */
  public static JsonPath job(String token, String id) {
    return given().auth().oauth2(token).get("/api/v1/sync-jobs/" + id).then().statusCode(200).extract().jsonPath();
  }
}
