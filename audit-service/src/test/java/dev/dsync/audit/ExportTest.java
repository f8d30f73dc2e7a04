package dev.dsync.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsync.devstack.DevstackTestResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportTest {

  static final int RECORDS = 100_000;

  @TestHTTPResource("/api/v1/audit/export")
  URL ndjson;

  @TestHTTPResource("/api/v1/audit/export.csv")
  URL csv;

  @Inject MeterRegistry registry;

  private final String tenant = Tokens.newTenant();

  @BeforeAll
  void seed() {
    // 100,000 rows straight into the table (their hashes are irrelevant to export).
    Db.update(
        "insert into audit.audit_record (tenant_id, seq, event_id, event_type, source, directory_id, occurred_at,"
            + " recorded_at, actor_kind, actor_id, action, entity_type, entity_id, outcome, data, prev_hash, hash)"
            + " select ?, g, gen_random_uuid(), 'dsync.audit.record', '/dsync/test', 'dir-1',"
            + " timestamptz '2026-01-01T00:00:00Z' + g * interval '1 second', now(), 'ADMIN', 'admin', 'rule.updated',"
            + " 'rule', 'rule-' || g, 'SUCCESS', jsonb_build_object('i', g, 'pad', repeat('x', 300)),"
            + " repeat('0', 64), md5(g::text) || md5(g::text)"
            + " from generate_series(1, " + RECORDS + ") g",
        tenant);
  }

  @Test
  void ndjson_export_of_100k_records_streams_as_the_client_reads() throws Exception {
    HttpURLConnection http = open(ndjson, "");
    assertThat(http.getResponseCode()).isEqualTo(200);
    assertThat(http.getContentType()).startsWith("application/x-ndjson");
    ObjectMapper json = new ObjectMapper();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(http.getInputStream(), StandardCharsets.UTF_8))) {
      JsonNode first = json.readTree(in.readLine());
      assertThat(first.path("position").asLong()).isEqualTo(1);
      assertThat(first.path("entity").path("id").asText()).isEqualTo("rule-1");

      // The client stops reading. A server that loaded everything would have read all rows by
      // now; a streaming one stays about a socket buffer ahead of the client.
      double before = exported();
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(3))
          .until(() -> exported() - before < RECORDS / 2.0);

      long lines = 1;
      long lastPosition = 1;
      String line;
      while ((line = in.readLine()) != null) {
        if (!line.isBlank()) {
          lines++;
          if (lines == RECORDS) {
            lastPosition = json.readTree(line).path("position").asLong();
          }
        }
      }
      assertThat(lines).isEqualTo(RECORDS);
      assertThat(lastPosition).isEqualTo(RECORDS);
    }
  }

  @Test
  void csv_export_has_a_header_and_one_line_per_record_and_honours_filters() throws Exception {
    HttpURLConnection http = open(csv, "?from=2026-01-01T00:00:00Z&to=2026-01-01T00:16:41Z");
    assertThat(http.getResponseCode()).isEqualTo(200);
    assertThat(http.getContentType()).startsWith("text/csv");
    try (BufferedReader in = new BufferedReader(new InputStreamReader(http.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(in.readLine()).startsWith("position,eventId,occurredAt");
      String first = in.readLine();
      assertThat(first).startsWith("1,").contains("rule-1").contains("\"{\"\"i\"\":1,");
      long lines = 1;
      while (in.readLine() != null) {
        lines++;
      }
      assertThat(lines).isEqualTo(1000);
    }
    HttpURLConnection bad = open(csv, "?outcome=NOPE");
    assertThat(bad.getResponseCode()).isEqualTo(400);
    assertThat(bad.getContentType()).startsWith("application/problem+json");
  }

  private double exported() {
    return registry.counter("dsync.audit.export.rows").count();
  }

  private HttpURLConnection open(URL url, String query) throws Exception {
    HttpURLConnection http = (HttpURLConnection) new URL(url + query).openConnection();
    http.setRequestProperty("Authorization", "Bearer " + Tokens.admin(tenant));
    http.setReadTimeout(60_000);
    return http;
  }
}
