package dev.dsync.platform.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class MutinyCallbacksTest {

  @Test
  void callbacks_run_undecorated_once_the_service_started() {
    // With SmallRye context propagation's decorator, every callback came back wrapped (a
    // SlowContextualFunction); the tenant-scoped REST tests show nothing relied on it.
    Function<String, String> callback = s -> s;
    assertThat(Infrastructure.decorate(callback)).isSameAs(callback);
  }
}
