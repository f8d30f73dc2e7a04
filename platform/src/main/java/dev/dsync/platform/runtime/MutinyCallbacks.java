package dev.dsync.platform.runtime;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Turns off MicroProfile context propagation through Mutiny callbacks where a service says so
 * ({@code dsync.mutiny.context-propagation=false}; the reconciler does). With it, every operator of
 * every Uni captures and restores the thread's contexts (CDI request, JTA, ...) around its
 * callback; with Narayana on the class path (Flyway's JDBC datasource brings it) SmallRye takes its
 * slow path for all of them: 6-8 % of the reconciler's CPU in a sync, measured with JFR. Code that
 * stays on Vert.x contexts needs none of it: Quarkus keeps the request context, the Hibernate
 * Reactive session and the OpenTelemetry span there. Code that hops to a Mutiny worker thread
 * (a retry's back-off delay, {@code runSubscriptionOn}) would lose the span on the other side, so
 * the default keeps propagation on. This is what Mutiny's {@code mutiny.disableCallBackDecorators}
 * system property does, done by the service so that no launcher can forget it.
 */
@ApplicationScoped
public class MutinyCallbacks {

  private final boolean contextPropagation;

  public MutinyCallbacks(@ConfigProperty(name = "dsync.mutiny.context-propagation", defaultValue = "true") boolean contextPropagation) {
    this.contextPropagation = contextPropagation;
  }

  void onStart(@Observes StartupEvent event) {
    if (!contextPropagation) {
      // Clears the callback decorators with the interceptors, then loads the interceptors again.
      Infrastructure.clearInterceptors();
      Infrastructure.reloadUniInterceptors();
      Infrastructure.reloadMultiInterceptors();
      Log.debug("Mutiny callback decorators (context propagation) off");
    }
  }
}
