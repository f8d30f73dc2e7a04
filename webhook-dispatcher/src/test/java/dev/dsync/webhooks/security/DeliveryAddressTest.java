package dev.dsync.webhooks.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dsync.webhooks.config.WebhooksConfig;
import io.vertx.mutiny.core.Vertx;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deliveries reuse a host's checked address for a while, then resolve and check it again. */
class DeliveryAddressTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.closeAndAwait();
  }

  @Test
  void a_checked_address_is_reused_within_the_ttl_and_checked_again_after_it() throws Exception {
    AtomicInteger lookups = new AtomicInteger();
    AtomicReference<String> answer = new AtomicReference<>("93.184.216.34");
    AtomicLong clock = new AtomicLong(-5_000_000_000L); // nanoTime may be negative
    UrlGuard guard =
        new UrlGuard(config(Duration.ofSeconds(5)), vertx, host -> {
          lookups.incrementAndGet();
          return new InetAddress[] {InetAddress.getByName(answer.get())};
        }, clock::get);
    URI url = URI.create("https://hooks.example.test/dsync");

    assertThat(guard.deliveryAddress(url).await().indefinitely().getHostAddress()).isEqualTo("93.184.216.34");
    answer.set("127.0.0.1"); // the name is rebound to an internal address
    clock.addAndGet(4_000_000_000L);
    assertThat(guard.deliveryAddress(url).await().indefinitely().getHostAddress())
        .as("within the TTL: the address checked before, no lookup").isEqualTo("93.184.216.34");
    assertThat(lookups).hasValue(1);

    clock.addAndGet(2_000_000_000L);
    assertThatThrownBy(() -> guard.deliveryAddress(url).await().indefinitely())
        .as("after the TTL the host is resolved and checked again")
        .isInstanceOf(UrlGuard.Refused.class)
        .hasMessageContaining("loopback");
    assertThat(lookups).hasValue(2);
    assertThatThrownBy(() -> guard.deliveryAddress(url).await().indefinitely()).as("a refusal is not remembered").isInstanceOf(UrlGuard.Refused.class);
    assertThat(lookups).hasValue(3);
  }

  @Test
  void a_ttl_of_zero_resolves_every_time() {
    AtomicInteger lookups = new AtomicInteger();
    UrlGuard guard =
        new UrlGuard(config(Duration.ZERO), vertx, host -> {
          lookups.incrementAndGet();
          return new InetAddress[] {InetAddress.getByName("93.184.216.34")};
        }, System::nanoTime);
    URI url = URI.create("https://hooks.example.test/dsync");
    guard.deliveryAddress(url).await().indefinitely();
    guard.deliveryAddress(url).await().indefinitely();
    assertThat(lookups).hasValue(2);
  }

  private static WebhooksConfig config(Duration ttl) {
    return (WebhooksConfig)
        Proxy.newProxyInstance(
            WebhooksConfig.class.getClassLoader(),
            new Class<?>[] {WebhooksConfig.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "allowPrivateTargets" -> false;
                  case "addressCheckTtl" -> ttl;
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }
}
