package dev.dsync.poller.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class SourceHttpGuardTest {

  @Test
  void internal_addresses_are_refused_with_the_reason_and_public_ones_pass() throws Exception {
    for (String internal : new String[] {"127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "::1", "fd00:ec2::254", "100.64.0.1"}) {
      assertThat(SourceHttp.refusal("h", new InetAddress[] {InetAddress.getByName(internal)})).as(internal)
          .contains("resolves to a").contains("allow-private-targets");
    }
    // A host with one public and one internal answer is refused: that mix is how DNS rebinding hides.
    assertThat(SourceHttp.refusal("h", new InetAddress[] {InetAddress.getByName("93.184.216.34"), InetAddress.getByName("10.0.0.1")}))
        .contains("private");
    assertThat(SourceHttp.refusal("graph.microsoft.com", new InetAddress[] {InetAddress.getByName("93.184.216.34")})).isNull();
  }
}
