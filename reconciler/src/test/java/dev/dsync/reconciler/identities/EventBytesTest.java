package dev.dsync.reconciler.identities;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import dev.dsync.events.identity.CanonicalGroup;
import dev.dsync.events.identity.CanonicalUser;
import dev.dsync.events.identity.Email;
import dev.dsync.events.identity.GroupEventData;
import dev.dsync.events.identity.IdentityState;
import dev.dsync.events.identity.MembershipEventData;
import dev.dsync.events.identity.UserEventData;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The spliced event data are the bytes the event mapper writes for the data records. */
class EventBytesTest {

  private static final ObjectNode RAW = EventJson.read("{\"id\":\"u-1\",\"name\":{\"givenName\":\"Zoë\"},\"x\":[1,\"😀\",null]}",
      ObjectNode.class);
  private static final CanonicalUser USER = new CanonicalUser("id-1", "acme", "dir-1", "ext-1", "zoe@acme.test", "Zoë", null,
      "Zoë \"Z\"", List.of(new Email("zoe@acme.test", "work", true)), CanonicalUser.State.ACTIVE,
      new TreeMap<>(Map.of("department", "R&D", "costCenter", 42)), RAW);
  private static final CanonicalGroup GROUP = new CanonicalGroup("g-1", "acme", "dir-1", "ext-g", "Admins ü", Map.of(), null);

  @Test
  void every_form_matches_the_mapper_byte_for_byte() {
    byte[] user = EventJson.writeBytes(USER);
    byte[] group = EventJson.writeBytes(GROUP);
    Map<String, Object> previous = new TreeMap<>(Map.of("displayName", "Zoe", "state", "INACTIVE"));

    assertThat(IdentityEvents.userEvent(7, user, null).utf8()).isEqualTo(EventJson.writeBytes(new UserEventData(7, USER, null)));
    assertThat(IdentityEvents.userEvent(8, user, previous).utf8()).isEqualTo(EventJson.writeBytes(new UserEventData(8, USER, previous)));
    assertThat(IdentityEvents.groupEvent(9, group, previous).utf8()).isEqualTo(EventJson.writeBytes(new GroupEventData(9, GROUP, previous)));
    assertThat(IdentityEvents.membershipEvent(10, group, user).utf8())
        .isEqualTo(EventJson.writeBytes(new MembershipEventData(10, GROUP, USER)));
    assertThat(IdentityEvents.userState(11, user, List.of("g-1", "g-2")).utf8())
        .isEqualTo(EventJson.writeBytes(new IdentityState("user", 11, USER, null, List.of("g-1", "g-2"))));
    assertThat(IdentityEvents.userState(12, user, List.of()).utf8())
        .isEqualTo(EventJson.writeBytes(new IdentityState("user", 12, USER, null, List.of())));
    assertThat(IdentityEvents.userState(13, user, null).utf8())
        .isEqualTo(EventJson.writeBytes(new IdentityState("user", 13, USER, null, null)));
    assertThat(IdentityEvents.groupState(14, group).utf8())
        .isEqualTo(EventJson.writeBytes(new IdentityState("group", 14, null, GROUP, null)));
  }

  @Test
  void a_stored_user_or_group_is_written_with_its_stored_resource_as_the_mapper_writes_it() throws Exception {
    UserEntity u = storedUser(Map.of("userName", "zoe@acme.test", "displayName", "Zoë",
        "emails", List.of(Map.of("value", "zoe@acme.test", "primary", true)), "attributes.department", "R&D"));
    assertThat(tree(IdentityEvents.userBytes(u, "dir-1"))).isEqualTo(tree(EventJson.writeBytes(IdentityEvents.user(u, "dir-1"))));
    // The stored text itself went in (the byte writer would have escaped the emoji), not a re-parse.
    assertThat(new String(IdentityEvents.userBytes(u, "dir-1"), java.nio.charset.StandardCharsets.UTF_8)).contains(u.raw);
    u.writtenRaw = RAW; // as the pipeline leaves it after writing the row
    assertThat(tree(IdentityEvents.userBytes(u, "dir-1"))).isEqualTo(tree(EventJson.writeBytes(IdentityEvents.user(u, "dir-1"))));
    u.raw = null;
    u.writtenRaw = null;
    assertThat(tree(IdentityEvents.userBytes(u, "dir-1"))).isEqualTo(tree(EventJson.writeBytes(IdentityEvents.user(u, "dir-1"))));

    GroupEntity g = storedGroup();
    g.raw = "{\"displayName\":\"Admins\",\"members\":[]}";
    assertThat(tree(IdentityEvents.groupBytes(g))).isEqualTo(tree(EventJson.writeBytes(IdentityEvents.group(g))));
    g.raw = "null";
    assertThat(tree(IdentityEvents.groupBytes(g))).isEqualTo(tree(EventJson.writeBytes(IdentityEvents.group(g))));
  }

  /**
   * As JSON, not bytes: the stored resource text keeps a character outside the BMP as UTF-8, where
   * the byte writer escapes it as a surrogate pair ({@code \\uD83D\\uDE00}); both read the same.
   */
  private static com.fasterxml.jackson.databind.JsonNode tree(byte[] json) throws Exception {
    return EventJson.mapper().readTree(json);
  }

  @Test
  void an_entity_is_written_once_per_version_and_again_when_it_changes() throws Exception {
    UserEntity u = storedUser(Map.of("userName", "zoe@acme.test", "displayName", "Zoë"));

    byte[] first = IdentityEvents.userBytes(u, "dir-1");
    assertThat(IdentityEvents.userBytes(u, "dir-1")).isSameAs(first);
    assertThat(tree(IdentityEvents.userBytes(u, "dir-2")).path("directoryId").asText()).isEqualTo("dir-2");

    u.attributes = EventJson.write(new TreeMap<>(Map.of("userName", "zoe@acme.test", "displayName", "Zoë Z.")));
    assertThat(tree(IdentityEvents.userBytes(u, "dir-1")).path("displayName").asText()).isEqualTo("Zoë Z.");
    u.state = "INACTIVE";
    assertThat(tree(IdentityEvents.userBytes(u, "dir-1")).path("state").asText()).isEqualTo("INACTIVE");
    u.writtenAttributes = Map.of("userName", "zoe@acme.test", "displayName", "Written");
    assertThat(tree(IdentityEvents.userBytes(u, "dir-1")).path("displayName").asText()).isEqualTo("Written");

    GroupEntity g = storedGroup();
    byte[] group = IdentityEvents.groupBytes(g);
    assertThat(IdentityEvents.groupBytes(g)).isSameAs(group);
    g.displayName = "Owners";
    assertThat(tree(IdentityEvents.groupBytes(g)).path("displayName").asText()).isEqualTo("Owners");
  }

  /** A user as read from its row: attributes and resource as stored text. */
  private static UserEntity storedUser(Map<String, Object> attributes) {
    UserEntity u = new UserEntity();
    u.id = java.util.UUID.randomUUID();
    u.tenantId = "acme";
    u.state = "ACTIVE";
    u.attributes = EventJson.write(new TreeMap<>(attributes));
    u.raw = EventJson.write(RAW);
    return u;
  }

  private static GroupEntity storedGroup() {
    GroupEntity g = new GroupEntity();
    g.id = java.util.UUID.randomUUID();
    g.tenantId = "acme";
    g.directoryId = "dir-1";
    g.displayName = "Admins";
    g.attributes = "{}";
    return g;
  }
}
