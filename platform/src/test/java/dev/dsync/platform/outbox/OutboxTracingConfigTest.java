package dev.dsync.platform.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Kafka channels (the relay's producer among them) trace exactly when the OpenTelemetry SDK is on. */
class OutboxTracingConfigTest {

  private static final String TRACING = "mp.messaging.connector.smallrye-kafka.tracing-enabled";

  private static SmallRyeConfig config(Map<String, String> overrides) throws Exception {
    return new SmallRyeConfigBuilder()
        .addDefaultInterceptors()
        .withSources(new PropertiesConfigSource(
            OutboxTracingConfigTest.class.getClassLoader().getResource("META-INF/microprofile-config.properties"), 100))
        .withSources(new PropertiesConfigSource(overrides, "test", 500))
        .build();
  }

  @Test
  void off_with_the_sdk_off_by_default_and_on_with_it() throws Exception {
    assertThat(config(Map.of()).getValue(TRACING, Boolean.class)).isFalse();
    assertThat(config(Map.of("quarkus.otel.sdk.disabled", "false")).getValue(TRACING, Boolean.class)).isTrue();
    assertThat(config(Map.of("quarkus.otel.sdk.disabled", "true")).getValue(TRACING, Boolean.class)).isFalse();
  }
}
