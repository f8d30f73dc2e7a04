package dev.dsync.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a downstream consumer sees of a relayed row: a CloudEvent in Kafka's binary mode. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OutboxRecordFormatTest {

  @Inject Pool pool;

  @Test
  void a_row_goes_out_with_every_cloud_event_header_its_trace_context_and_its_payload_bytes() {
    String tenant = Tokens.newTenant();
    UUID id = UUID.randomUUID();
    String payload = "{\"name\":\"Zoë 😀\",\"n\":1}";
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    OffsetDateTime written = pool.preparedQuery("insert into platform_test.outbox_event (id, aggregatetype, aggregateid, type, payload, topic, source, subject,"
            + " tenant_id, directory_id, traceparent, bucket) values ($1, 'dsync.audit.records', $2, 'dsync.audit.record', $3,"
            + " 'dsync.audit.records', '/dsync/platform-test', 'subject-1', $2, 'dir-1', $4, 0) returning \"timestamp\"")
        .execute(Tuple.of(id, tenant, payload, traceparent)).await().indefinitely().iterator().next().getOffsetDateTime(0);

    try (KafkaProbe audit = new KafkaProbe("dsync.audit.records")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> !audit.forTenant(tenant).isEmpty());
      KafkaProbe.Seen seen = audit.forTenant(tenant).get(0);
      assertThat(seen.key()).isEqualTo(tenant);
      assertThat(seen.value()).isEqualTo(payload);
      assertThat(seen.headers())
          .containsEntry("ce_specversion", "1.0")
          .containsEntry("ce_id", id.toString())
          .containsEntry("ce_source", "/dsync/platform-test")
          .containsEntry("ce_type", "dsync.audit.record")
          .containsEntry("ce_subject", "subject-1")
          .containsEntry("content-type", "application/json")
          .containsEntry("ce_tenantid", tenant)
          .containsEntry("ce_directoryid", "dir-1")
          .containsEntry("traceparent", traceparent);
      assertThat(OffsetDateTime.parse(seen.headers().get("ce_time"), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant())
          .isEqualTo(written.toInstant());
    }
  }
}
