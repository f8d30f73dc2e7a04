package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import dev.dsync.reconciler.IdentityProbe;
import dev.dsync.reconciler.Source;
import dev.dsync.reconciler.Tokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class PipelineTest {

  @Test
  void creates_updates_with_previous_attributes_and_is_silent_when_nothing_changed_or_redelivered() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      ObjectNode alice = Source.user("u1", "Alice@Example.com", "Alice", "Liddell", "alice@example.com", true, "Sales");
      UUID first = src.upsertUser(alice, 10, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 1);
      IdentityProbe.Seen created = probe.events(src.directory).get(0);
      assertThat(created.type()).isEqualTo("dsync.user.created");
      assertThat(created.key()).isEqualTo(src.directory);
      assertThat(created.tenant()).isEqualTo(tenant);
      assertThat(created.data().path("user").path("userName").asText()).isEqualTo("Alice@Example.com");
      assertThat(created.data().path("user").path("attributes").path("department").asText()).isEqualTo("Sales");
      assertThat(created.data().path("user").path("state").asText()).isEqualTo("ACTIVE");
      String id = created.data().path("user").path("id").asText();

      // Redelivery of the same event (same ce_id) and an identical re-send with a newer version: no event.
      src.send(first, EventType.SOURCE_USER_UPSERTED, new dev.dsync.events.source.UserUpserted("u1", "ext-u1", 10, java.time.Instant.now(), alice, List.of(), null, null));
      src.upsertUser(alice, 11, null);
      // A stale change (older than applied) is ignored too.
      src.upsertUser(Source.user("u1", "alice@example.com", "Old", "Name", "alice@example.com", true, "Sales"), 5, null);

      alice.putObject("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").put("department", "Finance");
      alice.put("displayName", "Alice L.");
      src.upsertUser(alice, 12, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 2);
      assertThat(probe.events(src.directory)).hasSize(2);
      IdentityProbe.Seen updated = probe.events(src.directory).get(1);
      assertThat(updated.type()).isEqualTo("dsync.user.updated");
      assertThat(updated.sequence()).isEqualTo(created.sequence() + 1);
      assertThat(updated.data().path("user").path("id").asText()).isEqualTo(id);
      assertThat(updated.data().path("previousAttributes").path("displayName").asText()).isEqualTo("Alice Liddell");
      assertThat(updated.data().path("previousAttributes").path("attributes.department").asText()).isEqualTo("Sales");
      assertThat(updated.data().path("previousAttributes").size()).isEqualTo(2);

      // The compacted state topic carries the current state, keyed tenantId:entityId.
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.state(tenant).size() >= 2);
      IdentityProbe.Seen state = probe.state(tenant).get(probe.state(tenant).size() - 1);
      assertThat(state.key()).isEqualTo(tenant + ":" + id);
      assertThat(state.data().path("user").path("displayName").asText()).isEqualTo("Alice L.");

      // Deactivation at the source under the default policy (deactivate): updated, state INACTIVE.
      alice.put("active", false);
      src.upsertUser(alice, 13, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() >= 3);
      IdentityProbe.Seen deactivated = probe.events(src.directory).get(2);
      assertThat(deactivated.data().path("user").path("state").asText()).isEqualTo("INACTIVE");
      assertThat(deactivated.data().path("previousAttributes").path("state").asText()).isEqualTo("ACTIVE");
      assertThat(deactivated.sequence()).isEqualTo(created.sequence() + 2);
    }
  }

  @Test
  void a_malformed_event_is_kept_as_failed_and_does_not_stop_the_directory() {
    String tenant = Tokens.newTenant();
    try (Source src = Source.newDirectory(tenant); IdentityProbe probe = new IdentityProbe()) {
      src.send(EventType.SOURCE_USER_UPSERTED, java.util.Map.of("resourceId", 42, "sourceVersion", "not a number"));
      src.upsertUser(Source.user("ok", "ok@example.com", "O", "K", "ok@example.com", true, null), 1, null);
      await().atMost(Duration.ofSeconds(30)).until(() -> probe.events(src.directory).size() == 1);
      assertThat(probe.events(src.directory).get(0).type()).isEqualTo("dsync.user.created");
    }
  }
}
