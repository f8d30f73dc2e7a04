package dev.dsync.webhooks;

import static dev.dsync.webhooks.Fixtures.endpoint;
import static dev.dsync.webhooks.Fixtures.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.events.EventType;
import dev.dsync.webhooks.config.WebhooksConfig;
import dev.dsync.webhooks.delivery.AttemptRecorder;
import dev.dsync.webhooks.delivery.DeliveryWorker;
import dev.dsync.webhooks.delivery.HttpResult;
import dev.dsync.webhooks.delivery.WebhookClient;
import dev.dsync.webhooks.security.SecretBox;
import dev.dsync.webhooks.security.UrlGuard;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.MultiMap;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Two replicas' workers on one schedule: the work is shared and nothing is sent twice. */
@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class ReplicasTest {

  @Inject Pool pool;
  @Inject Vertx vertx;
  @Inject WebhooksConfig config;
  @Inject UrlGuard guard;
  @Inject SecretBox box;
  @Inject AttemptRecorder recorder;
  @Inject WebhookClient client;
  @Inject MeterRegistry registry;
  @Inject DeliveryWorker worker;

  @Test
  void two_workers_share_the_schedule_without_sending_anything_twice() throws Exception {
    String tenant = Tokens.newTenant();
    AtomicInteger sentBySecond = new AtomicInteger();
    // The second replica's worker: its own lanes and claims, the same database.
    WebhookClient counting =
        new WebhookClient(vertx, config) {
          @Override
          public Uni<HttpResult> post(URI url, InetAddress address, MultiMap headers, byte[] body, Duration timeout) {
            sentBySecond.incrementAndGet();
            return client.post(url, address, headers, body, timeout);
          }
        };
    DeliveryWorker second = new DeliveryWorker(config, pool, vertx, guard, box, counting, recorder, registry);
    try (Receiver receiver = new Receiver().answer(Receiver.slow(200, 20))) {
      var ep = endpoint(tenant, receiver.url());
      second.start();
      String directory = UUID.randomUUID().toString();
      int n = 200;
      for (int i = 0; i < n; i++) {
        IdentityEvents.publish(tenant, directory, EventType.USER_UPDATED);
      }
      await().atMost(Duration.ofSeconds(60)).until(() ->
          rows(pool, "select 1 from webhook.delivery where endpoint_id = $1::uuid and status = 'SUCCEEDED'", ep.id()).size() == n);
      List<Receiver.Received> got = receiver.received();
      Set<String> ids = new HashSet<>();
      got.forEach(r -> ids.add(r.header("webhook-id")));
      assertThat(ids).hasSize(n);
      assertThat(got).as("no message was sent twice").hasSize(n);
      assertThat(rows(pool, "select 1 from webhook.attempt where endpoint_id = $1::uuid", ep.id())).hasSize(n);
      assertThat(sentBySecond.get()).as("the second replica took part").isBetween(1, n - 1);
    } finally {
      second.stop();
    }
  }

  @Test
  void a_lane_whose_endpoint_answers_fast_takes_more_than_a_round_per_claim() throws Exception {
    String tenant = Tokens.newTenant();
    String directory = UUID.randomUUID().toString();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    DeliveryWorker alone = new DeliveryWorker(config, pool, vertx, guard, box, client, recorder, meters);
    int n = 100;
    try (Receiver receiver = new Receiver()) {
      var ep = endpoint(tenant, receiver.url());
      // The service's own worker is stopped: every delivery waits in the table for this one's claims.
      worker.stop();
      for (int i = 0; i < n; i++) {
        IdentityEvents.publish(tenant, directory, EventType.USER_UPDATED);
      }
      await().atMost(Duration.ofSeconds(30)).until(() ->
          rows(pool, "select 1 from webhook.delivery where endpoint_id = $1::uuid and status = 'PENDING'", ep.id()).size() == n);
      alone.start();
      await().atMost(Duration.ofSeconds(60)).until(() ->
          rows(pool, "select 1 from webhook.delivery where endpoint_id = $1::uuid and status = 'SUCCEEDED'", ep.id()).size() == n);
      int round = 2 * config.endpointConcurrency(); // what an unknown endpoint's lane takes
      assertThat(meters.get("dsync.webhook.claim.size").summary().max())
          .as("once it answered fast, its lane took more than one round in flight and one waiting")
          .isGreaterThan(round);
      assertThat(receiver.received()).hasSize(n);
    } finally {
      alone.stop();
      worker.start();
    }
  }
}
