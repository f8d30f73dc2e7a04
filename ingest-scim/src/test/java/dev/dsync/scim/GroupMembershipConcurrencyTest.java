package dev.dsync.scim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventJson;
import dev.dsync.events.source.GroupMembershipChanged;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Many clients changing one group's members at once (Okta and Entra do): every change is applied
 * once, nothing deadlocks, and the membership events carry sourceVersions that grow by one per
 * change in outbox order, so the reconciler (which ignores a version below the applied one) sees
 * them all and replaying them gives the group's members.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class GroupMembershipConcurrencyTest {

  @Inject Pool pool;

  @Test
  void concurrent_member_changes_get_consecutive_versions_in_outbox_order() throws Exception {
    ScimTestSupport.Dir dir = ScimTestSupport.newDirectory();
    String group = dir.scim().body("{\"displayName\":\"Busy\"}").post("/Groups").then().statusCode(201).extract().path("id");

    List<Callable<Integer>> first = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      first.add(add(dir, group, "m" + i, false));
    }
    for (int i = 0; i < 8; i++) {
      first.add(add(dir, group, "m" + i, false)); // the same member twice: one change, one no-op
    }
    assertThat(run(first)).allMatch(s -> s == 204);

    List<Callable<Integer>> second = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String member = "m" + i;
      second.add(() -> dir.scim().body(patch("remove", "members[value eq \\\"" + member + "\\\"]", null)).patch("/Groups/" + group).statusCode());
      second.add(add(dir, group, "n" + i, false));
    }
    for (int i = 0; i < 4; i++) {
      second.add(add(dir, group, "p" + i, true)); // asks for the group back: the locking transaction path
    }
    assertThat(run(second)).allMatch(s -> s == 204 || s == 200);

    List<GroupMembershipChanged> events = new ArrayList<>();
    pool.preparedQuery("select payload::text as payload from outbox_event where subject = $1 and type = 'dsync.source.group.membership_changed' order by seq")
        .execute(Tuple.of(group)).await().indefinitely()
        .forEach(r -> events.add(EventJson.read(r.getString("payload"), GroupMembershipChanged.class)));
    // 24 adds, then 12 removes + 12 adds + 4 adds; the 8 repeated adds changed nothing.
    assertThat(events).hasSize(24 + 28);
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).sourceVersion()).as("event %d in outbox order", i).isEqualTo(i + 2);
      assertThat(events.get(i).added().size() + events.get(i).removed().size()).isEqualTo(1);
      assertThat(events.get(i).groupId()).isEqualTo(group);
    }
    Set<String> replayed = new HashSet<>();
    for (GroupMembershipChanged e : events) {
      e.added().forEach(m -> assertThat(replayed.add(m.value())).as("added once: " + m.value()).isTrue());
      e.removed().forEach(m -> assertThat(replayed.remove(m.value())).as("removed while present: " + m.value()).isTrue());
      assertThat(e.added()).allMatch(m -> m.type().equals("User"));
    }
    List<String> members = dir.scim().get("/Groups/" + group).then().statusCode(200).header("ETag", "W/\"" + (events.size() + 1) + "\"")
        .extract().jsonPath().getList("members.value", String.class);
    assertThat(new HashSet<>(members)).isEqualTo(replayed).hasSize(12 + 12 + 4);
  }

  private static Callable<Integer> add(ScimTestSupport.Dir dir, String group, String member, boolean representation) {
    return () -> {
      var request = dir.scim().body(patch("add", "members", "[{\"value\":\"" + member + "\"}]"));
      if (representation) {
        request = request.queryParam("attributes", "displayName");
      }
      return request.patch("/Groups/" + group).statusCode();
    };
  }

  private static String patch(String op, String path, String value) {
    return "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"" + op + "\",\"path\":\"" + path + "\""
        + (value == null ? "" : ",\"value\":" + value) + "}]}";
  }

  private static List<Integer> run(List<Callable<Integer>> calls) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Integer> out = new ArrayList<>();
      for (Future<Integer> f : pool.invokeAll(calls)) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
