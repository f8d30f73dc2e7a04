package dev.dsync.scim.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.Actor;
import dev.dsync.events.EventType;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.MemberRef;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * OutboxStatement copies platform's outbox insert so a SCIM write and its event can be one
 * statement: the rows it writes must be the rows Outbox#append writes, column for column.
 */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class OutboxStatementTest {

  private static final List<String> COLUMNS =
      List.of("aggregatetype", "aggregateid", "type", "payload", "topic", "source", "subject", "tenant_id", "directory_id", "traceparent", "bucket");

  @Inject Pool pool;
  @Inject Outbox outbox;
  @Inject OutboxStatement statement;

  @Test
  void writes_the_same_row_as_outbox_append() {
    // Several keys, so a different bucket count or hash on either side shows.
    for (int i = 0; i < 8; i++) {
      String key = UUID.randomUUID().toString();
      GroupMembershipChanged data = new GroupMembershipChanged("g-" + i, i, Instant.parse("2026-01-01T00:00:00Z"),
          List.of(new MemberRef("m-" + i, "User")), List.of(), false, new Actor(Actor.Kind.SCIM_TOKEN, "token-1", null), null);
      OutboxMessage viaPlatform = new OutboxMessage(UUID.randomUUID(), EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, key, "t-outbox", key, "g-" + i, data);
      OutboxMessage viaStatement = new OutboxMessage(UUID.randomUUID(), EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, key, "t-outbox", key, "g-" + i, data);

      pool.withTransaction(tx -> outbox.append(tx, viaPlatform)).await().indefinitely();
      List<Object> params = new ArrayList<>();
      statement.addParams(params, viaStatement);
      pool.preparedQuery(OutboxStatement.insertFrom("(select 1) x", 1, payload -> payload)).execute(Tuple.from(params)).await().indefinitely();

      Map<UUID, Map<String, Object>> rows = new HashMap<>();
      pool.preparedQuery("select id, " + String.join(", ", COLUMNS).replace("payload", "payload::text as payload") + " from outbox_event where id = any($1)")
          .execute(Tuple.of(new UUID[] {viaPlatform.id(), viaStatement.id()}))
          .await().indefinitely()
          .forEach(r -> rows.put(r.getUUID("id"), columns(r)));
      assertThat(rows).hasSize(2);
      assertThat(rows.get(viaStatement.id())).isEqualTo(rows.get(viaPlatform.id()));
    }
  }

  private static Map<String, Object> columns(Row r) {
    Map<String, Object> out = new HashMap<>();
    COLUMNS.forEach(c -> out.put(c, String.valueOf(r.getValue(c))));
    return out;
  }
}
