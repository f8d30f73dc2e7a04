package dev.dsync.webhooks;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** Production's SSRF policy: private, loopback and link-local targets are refused. */
public class NoPrivateTargetsProfile implements QuarkusTestProfile {
  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("dsync.webhooks.allow-private-targets", "false");
  }
}
