package dev.dsync.audit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.dsync.audit.chain.ChainHash;
import dev.dsync.audit.chain.ChainedRecord;
import dev.dsync.audit.chain.RecordRows;
import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class VerifyTest {

  @Inject Pool pool;

  @Test
  void an_untouched_chain_verifies() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 12);
    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200)
        .body("valid", equalTo(true))
        .body("checkedRecords", equalTo(12))
        .body("firstPosition", equalTo(1))
        .body("lastPosition", equalTo(12))
        .body("headPosition", equalTo(12))
        .body("firstBreak", nullValue());
  }

  @Test
  void a_row_edited_with_direct_sql_is_the_first_break() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 10);
    Db.update(
        "update audit.audit_record set data = jsonb_set(data, '{targetId}', '\"someone-else\"')"
            + " where tenant_id = ? and seq = 4", tenant);
    // A second, later edit: verification reports the first.
    Db.update("update audit.audit_record set outcome = 'SUCCESS', actor_id = 'x' where tenant_id = ? and seq = 7", tenant);

    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200)
        .body("valid", equalTo(false))
        .body("checkedRecords", equalTo(3))
        .body("firstBreak.position", equalTo(4))
        .body("firstBreak.kind", equalTo("RECORD_ALTERED"));
  }

  @Test
  void a_row_deleted_with_direct_sql_is_reported_as_missing() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 10);
    Db.update("delete from audit.audit_record where tenant_id = ? and seq = 5", tenant);

    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200)
        .body("valid", equalTo(false))
        .body("firstBreak.position", equalTo(5))
        .body("firstBreak.kind", equalTo("RECORDS_MISSING"));
  }

  @Test
  void cutting_the_newest_rows_is_caught_against_the_chain_head() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 6);
    Db.update("delete from audit.audit_record where tenant_id = ? and seq >= 5", tenant);

    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200)
        .body("valid", equalTo(false))
        .body("checkedRecords", equalTo(4))
        .body("firstBreak.position", equalTo(5))
        .body("firstBreak.kind", equalTo("RECORDS_MISSING"));
  }

  @Test
  void a_forged_row_with_a_recomputed_hash_breaks_the_next_link() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 8);
    // The forger rewrites record 3 and gives it a correct hash for its new content...
    ChainedRecord original =
        RecordRows.from(
            pool.preparedQuery("select " + RecordRows.COLUMNS + " from audit_record r where tenant_id = $1 and seq = 3")
                .execute(Tuple.of(tenant)).await().indefinitely().iterator().next());
    ChainedRecord forged =
        new ChainedRecord(
            original.tenantId(), original.position(), original.eventId(), original.eventType(), original.source(),
            original.directoryId(), original.occurredAt(), original.recordedAt(), original.actorKind(), "innocent",
            original.action(), original.entityType(), original.entityId(), original.outcome(), original.jobId(),
            original.traceId(), original.data(), original.prevHash(), null);
    Db.update(
        "update audit.audit_record set actor_id = 'innocent', hash = ? where tenant_id = ? and seq = 3",
        ChainHash.hash(forged), tenant);

    // ...but record 4 still points at the old hash.
    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200)
        .body("valid", equalTo(false))
        .body("firstBreak.position", equalTo(4))
        .body("firstBreak.kind", equalTo("LINK_BROKEN"));
  }

  @Test
  void a_time_window_is_verified_with_its_link_to_the_record_before() {
    String tenant = Tokens.newTenant();
    Seed.auditRecords(tenant, 5);
    given().auth().oauth2(Tokens.admin(tenant))
        .queryParam("from", "2000-01-01T00:00:00Z").queryParam("to", "2999-01-01T00:00:00Z")
        .get("/api/v1/audit/verify")
        .then().statusCode(200).body("valid", equalTo(true)).body("checkedRecords", equalTo(5));
    given().auth().oauth2(Tokens.admin(tenant))
        .queryParam("from", "2999-01-01T00:00:00Z")
        .get("/api/v1/audit/verify")
        .then().statusCode(200).body("valid", equalTo(true)).body("checkedRecords", equalTo(0));
    given().auth().oauth2(Tokens.admin(tenant)).queryParam("from", "yesterday").get("/api/v1/audit/verify")
        .then().statusCode(400).contentType("application/problem+json").body("errors[0].field", equalTo("from"));
  }
}
