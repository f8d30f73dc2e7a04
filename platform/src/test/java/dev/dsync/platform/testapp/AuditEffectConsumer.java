package dev.dsync.platform.testapp;

import dev.dsync.platform.inbox.Inbox;
import dev.dsync.platform.inbox.ReceivedEvent;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Test app: an idempotent consumer whose effect is one row per applied event. */
@ApplicationScoped
public class AuditEffectConsumer {

  private final Inbox inbox;

  public AuditEffectConsumer(Inbox inbox) {
    this.inbox = inbox;
  }

  @Incoming("audit-in")
  public Uni<Void> consume(Message<String> message) {
    ReceivedEvent event = ReceivedEvent.of(message);
    return inbox
        .once(
            "platform-test",
            event.id(),
            () ->
                Panache.getSession()
                    .chain(
                        s ->
                            s.createNativeQuery("insert into consumed_effect (event_id, tenant_id) values (:id, :tenant)")
                                .setParameter("id", event.id())
                                .setParameter("tenant", event.tenantId())
                                .executeUpdate()))
        .chain(() -> Uni.createFrom().completionStage(message.ack()))
        .onFailure()
        .recoverWithUni(f -> Uni.createFrom().completionStage(message.nack(f)));
  }
}
