package dev.dsync.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class IngestTest {

  @Inject Pool pool;
  @Inject MeterRegistry registry;

  @Test
  void every_audited_event_type_becomes_one_record_with_actor_action_entity_outcome_and_correlation_ids() {
    String tenant = Tokens.newTenant();
    List<Events.Sent> sent = Events.everyType(tenant, "dir-1");
    try (Events events = new Events()) {
      events.send(sent);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> count(tenant) == sent.size());

    Map<String, Row> byType = new HashMap<>();
    rows(tenant).forEach(r -> byType.put(r.getString("event_type"), r));

    Row token = byType.get("dsync.audit.record");
    assertThat(token.getString("actor_kind")).isEqualTo("ADMIN");
    assertThat(token.getString("actor_id")).isEqualTo("alice@acme.example");
    assertThat(token.getString("action")).isEqualTo("scim_token.created");
    assertThat(token.getString("entity_type")).isEqualTo("scim_directory");
    assertThat(token.getString("outcome")).isEqualTo("SUCCESS");
    assertThat(token.getString("trace_id")).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(token.getString("directory_id")).isEqualTo("dir-1");

    Row upsert = byType.get("dsync.source.user.upserted");
    assertThat(upsert.getString("actor_kind")).isEqualTo("SCIM_TOKEN");
    assertThat(upsert.getString("action")).isEqualTo("source.user.upserted");
    assertThat(upsert.getString("entity_type")).isEqualTo("user");

    Row failedJob = byType.get("dsync.source.sync_job.failed");
    assertThat(failedJob.getString("outcome")).isEqualTo("FAILURE");
    assertThat(failedJob.getString("job_id")).isEqualTo("0c9d8e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f");
    assertThat(failedJob.getString("entity_type")).isEqualTo("sync_job");

    Row created = byType.get("dsync.user.created");
    assertThat(created.getString("actor_kind")).isEqualTo("SYSTEM");
    assertThat(created.getString("actor_id")).isEqualTo("/dsync/test");
    assertThat(created.getString("entity_id")).isEqualTo("a1f6e0b4-8e0c-4d7a-9a52-1d2b3c4d5e6f");

    Row provisioned = byType.get("dsync.provisioning.result");
    assertThat(provisioned.getString("action")).isEqualTo("provisioning.provisioned");
    assertThat(provisioned.getString("entity_type")).isEqualTo("user");

    Row attempt = byType.get("dsync.webhook.attempt");
    assertThat(attempt.getString("entity_type")).isEqualTo("webhook_message");

    // The chain: positions 1..n without gaps, each pointing at the previous hash.
    List<Row> chain = rows(tenant);
    for (int i = 0; i < chain.size(); i++) {
      assertThat(chain.get(i).getLong("seq")).isEqualTo(i + 1L);
      if (i > 0) {
        assertThat(chain.get(i).getString("prev_hash")).isEqualTo(chain.get(i - 1).getString("hash"));
      }
    }
  }

  @Test
  void replaying_events_adds_nothing() {
    String tenant = Tokens.newTenant();
    List<Events.Sent> sent = Events.everyType(tenant, "dir-r");
    try (Events events = new Events()) {
      events.send(sent);
      await().atMost(Duration.ofSeconds(30)).until(() -> count(tenant) == sent.size());
      double duplicatesBefore = registry.counter("dsync.audit.duplicates").count();
      events.send(sent);
      events.send(sent.subList(0, 3));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> registry.counter("dsync.audit.duplicates").count() >= duplicatesBefore + sent.size() + 3);
    }
    assertThat(count(tenant)).isEqualTo(sent.size());
  }

  @Test
  void secrets_are_redacted_from_the_stored_data() {
    String tenant = Tokens.newTenant();
    String data =
        "{\"actor\":{\"kind\":\"ADMIN\",\"id\":\"bob\"},\"action\":\"connection.updated\",\"targetType\":\"connection\","
            + "\"targetId\":\"c1\",\"outcome\":\"SUCCESS\",\"occurredAt\":\"2026-01-01T00:00:00Z\","
            + "\"details\":{\"tokenId\":\"tok-1\",\"clientSecret\":\"s3cr3t\",\"nested\":[{\"password\":\"hunter2\"}],"
            + "\"api_key\":\"k\",\"Authorization\":\"Bearer abc\"}}";
    try (Events events = new Events()) {
      events.send(Events.event(EventType.AUDIT_RECORD, tenant, null, data));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> count(tenant) == 1);
    String stored = rows(tenant).get(0).getValue("data").toString();
    assertThat(stored).contains("tok-1").contains("[REDACTED]");
    assertThat(stored).doesNotContain("s3cr3t").doesNotContain("hunter2").doesNotContain("Bearer abc");
    assertThat(rows(tenant).get(0).getString("directory_id")).isNull();
  }

  private long count(String tenant) {
    return pool.preparedQuery("select count(*) from audit_record where tenant_id = $1")
        .execute(Tuple.of(tenant))
        .await()
        .indefinitely()
        .iterator()
        .next()
        .getLong(0);
  }

  private List<Row> rows(String tenant) {
    List<Row> out = new java.util.ArrayList<>();
    pool.preparedQuery("select * from audit_record where tenant_id = $1 order by seq")
        .execute(Tuple.of(tenant))
        .await()
        .indefinitely()
        .forEach(out::add);
    return out;
  }
}
