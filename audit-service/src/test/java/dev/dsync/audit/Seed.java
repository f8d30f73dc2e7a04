package dev.dsync.audit;

import static org.awaitility.Awaitility.await;

import dev.dsync.events.EventType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Puts records into a tenant's chain the real way: CloudEvents through Kafka, then waits for them. */
public final class Seed {

  private Seed() {}

  /** Sends {@code n} more admin-action events (actor, target, outcome vary) and waits until recorded. */
  public static List<Events.Sent> auditRecords(String tenant, int n) {
    long before = Db.count("select count(*) from audit.audit_record where tenant_id = ?", tenant);
    List<Events.Sent> sent = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String data =
          "{\"actor\":{\"kind\":\"ADMIN\",\"id\":\"admin-" + (i % 3) + "\"},\"action\":\"rule.updated\","
              + "\"targetType\":\"rule\",\"targetId\":\"rule-" + i + "\",\"outcome\":\""
              + (i % 5 == 4 ? "FAILURE" : "SUCCESS") + "\",\"occurredAt\":\"2026-01-01T00:00:00Z\","
              + "\"details\":{\"i\":" + i + ",\"ratio\":1.50}}";
      sent.add(Events.event(EventType.AUDIT_RECORD, tenant, "dir-" + (i % 2), data));
    }
    try (Events events = new Events()) {
      events.send(sent);
    }
    awaitCount(tenant, before + n);
    return sent;
  }

  public static void awaitCount(String tenant, long n) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> Db.count("select count(*) from audit.audit_record where tenant_id = ?", tenant) >= n);
  }
}
