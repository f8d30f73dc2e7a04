package dev.dsync.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.dsync.audit.ingest.AuditDraft;
import dev.dsync.audit.ingest.ChainAppender;
import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ConcurrentAppendTest {

  @Inject ChainAppender appender;

  @Test
  void concurrent_appends_to_one_tenant_extend_its_chain_one_after_the_other() {
    String tenant = Tokens.newTenant();
    String other = Tokens.newTenant();
    List<Uni<ChainAppender.Appended>> appends = new ArrayList<>();
    List<AuditDraft> redelivered = new ArrayList<>();
    for (int batch = 0; batch < 16; batch++) {
      List<AuditDraft> drafts = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        // Batches mix two tenants, as a consumer's poll does; locks are taken in tenant order.
        drafts.add(draft(i % 5 == 0 ? other : tenant, batch, i));
      }
      if (batch % 4 == 0) {
        redelivered.addAll(drafts.subList(0, 5));
      }
      appends.add(appender.append(drafts));
    }
    // The same events again, concurrently with the first delivery: recorded once.
    appends.add(appender.append(redelivered));

    List<ChainAppender.Appended> results = Uni.join().all(appends).andFailFast().await().indefinitely();
    assertThat(results.stream().mapToInt(ChainAppender.Appended::recorded).sum()).isEqualTo(16 * 25);

    assertThat(Db.count("select count(*) from audit.audit_record where tenant_id = ?", tenant)).isEqualTo(16 * 20);
    assertThat(Db.count("select max(seq) from audit.audit_record where tenant_id = ?", tenant)).isEqualTo(16 * 20);
    given().auth().oauth2(Tokens.admin(tenant)).get("/api/v1/audit/verify")
        .then().statusCode(200).body("valid", equalTo(true)).body("checkedRecords", equalTo(16 * 20));
    given().auth().oauth2(Tokens.admin(other)).get("/api/v1/audit/verify")
        .then().statusCode(200).body("valid", equalTo(true)).body("checkedRecords", equalTo(16 * 5));
  }

  private static AuditDraft draft(String tenant, int batch, int i) {
    return new AuditDraft(
        tenant, UUID.nameUUIDFromBytes((tenant + ":" + batch + ":" + i).getBytes()), "dsync.audit.record",
        "/dsync/test", null, Instant.now(), "SYSTEM", "test", "concurrency.tested", "batch", "b" + batch,
        "SUCCESS", null, null, JsonNodeFactory.instance.objectNode().put("batch", batch).put("i", i));
  }
}
