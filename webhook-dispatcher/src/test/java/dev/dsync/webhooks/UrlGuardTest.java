package dev.dsync.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dsync.webhooks.security.UrlGuard;
import dev.dsync.webhooks.config.WebhooksConfig;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class UrlGuardTest {

  @Test
  void internal_addresses_are_recognised() throws Exception {
    for (String internal :
        new String[] {
          "127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
          "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
          "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe"
        }) {
      assertThat(UrlGuard.internalReason(InetAddress.getByName(internal))).as(internal).isNotNull();
    }
  }

  @Test
  void public_addresses_pass() throws Exception {
    for (String external : new String[] {"93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "1.1.1.1"}) {
      assertThat(UrlGuard.internalReason(InetAddress.getByName(external))).as(external).isNull();
    }
  }

  @Test
  void production_requires_https_and_a_plain_host() {
    UrlGuard production = new UrlGuard(config(true), null);
    assertThat(production.parse("https://hooks.example.com/dsync").getHost()).isEqualTo("hooks.example.com");
    assertThatThrownBy(() -> production.parse("http://hooks.example.com/dsync"))
        .isInstanceOf(UrlGuard.Refused.class).hasMessageContaining("https");
    assertThatThrownBy(() -> production.parse("https://user:pw@hooks.example.com/")).isInstanceOf(UrlGuard.Refused.class);
    assertThatThrownBy(() -> production.parse("https://hooks.example.com/#x")).isInstanceOf(UrlGuard.Refused.class);
    assertThatThrownBy(() -> production.parse("gopher://hooks.example.com/")).isInstanceOf(UrlGuard.Refused.class);
    UrlGuard dev = new UrlGuard(config(false), null);
    assertThat(dev.parse("http://127.0.0.1:9/hook").getPort()).isEqualTo(9);
  }

  /** Only the setting under test; the guard reads nothing else when parsing. */
  private static WebhooksConfig config(boolean requireHttps) {
    return (WebhooksConfig)
        Proxy.newProxyInstance(
            WebhooksConfig.class.getClassLoader(),
            new Class<?>[] {WebhooksConfig.class},
            (proxy, method, args) -> {
              if (method.getName().equals("requireHttps")) {
                return requireHttps;
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }
}
