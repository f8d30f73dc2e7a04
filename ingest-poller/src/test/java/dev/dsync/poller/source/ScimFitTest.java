package dev.dsync.poller.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import org.junit.jupiter.api.Test;

class ScimFitTest {

  private static ObjectNode user() {
    ObjectNode u = Scim.user("u1");
    u.put("userName", "u1@example.com");
    u.putArray("emails").addObject().put("value", "u1@example.com").put("primary", true);
    u.put("title", "Engineer");
    u.putObject(Scim.ENTERPRISE).put("department", "Sales").put("thumbnailPhoto", "P".repeat(5_000));
    u.put("notes", "N".repeat(3_000));
    return u;
  }

  @Test
  void the_largest_attributes_go_first_until_it_fits_and_identity_stays() throws Exception {
    ObjectNode u = user();
    assertThat(Scim.fit(u, 4_000)).containsExactly(Scim.ENTERPRISE + ".thumbnailPhoto");
    assertThat(u.path(Scim.ENTERPRISE).path("department").asText()).isEqualTo("Sales");
    assertThat(u.path("notes").asText()).hasSize(3_000);

    ObjectNode smaller = user();
    assertThat(Scim.fit(smaller, 500)).containsExactly(Scim.ENTERPRISE + ".thumbnailPhoto", "notes");
    assertThat(EventJson.mapper().writeValueAsBytes(smaller).length).isLessThanOrEqualTo(500);
    assertThat(smaller.path("userName").asText()).isEqualTo("u1@example.com");
    assertThat(smaller.path("title").asText()).isEqualTo("Engineer");
  }

  @Test
  void a_resource_that_fits_is_left_alone_and_kept_attributes_are_never_dropped() {
    ObjectNode u = user();
    String before = u.toString();
    assertThat(Scim.fit(u, 1_000_000)).isEmpty();
    assertThat(u.toString()).isEqualTo(before);

    ObjectNode onlyKept = Scim.user("u2");
    onlyKept.put("userName", "U".repeat(2_000));
    assertThat(Scim.fit(onlyKept, 100)).isEmpty();
    assertThat(onlyKept.path("userName").asText()).hasSize(2_000);
  }

  @Test
  void an_extension_left_empty_goes_with_its_last_attribute() {
    ObjectNode u = Scim.user("u3");
    u.putObject("urn:example:photo:2.0:User").put("photo", "P".repeat(5_000));
    assertThat(Scim.fit(u, 1_000)).containsExactly("urn:example:photo:2.0:User.photo");
    assertThat(u.has("urn:example:photo:2.0:User")).isFalse();
  }
}
