package dev.dsync.platform;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** The relay does not run by itself: the test drives it, playing a second replica by hand. */
public class ManualRelayProfile implements QuarkusTestProfile {
  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("dsync.outbox.relay-enabled", "false", "dsync.outbox.batch-size", "3");
  }
}
