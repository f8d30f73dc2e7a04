package dev.dsync.reconciler.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class MutinyCallbacksOffTest {

  @Test
  void the_reconciler_runs_its_callbacks_without_context_propagation() {
    // Every other reconciler test (admin API with JWTs, the consumer, job pages) runs this way too.
    Function<String, String> callback = s -> s;
    assertThat(Infrastructure.decorate(callback)).isSameAs(callback);
  }
}
