package dev.dsync.platform.testapp;

import dev.dsync.platform.outbox.OutboxRelay;
import dev.dsync.platform.outbox.RelayCheckpoint;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Test app: when armed, "kills" the relay after the broker acknowledged a batch and before the
 * rows are marked: the relay stops (as a dead process would) and its transaction rolls back.
 */
@ApplicationScoped
@Unremovable
public class CrashingCheckpoint implements RelayCheckpoint {

  private final AtomicBoolean armed = new AtomicBoolean();
  private final List<UUID> crashedWith = new CopyOnWriteArrayList<>();

  @Inject Provider<OutboxRelay> relay;

  /** The next batch kills the relay. (Methods, not fields: callers hold a client proxy.) */
  public void arm() {
    crashedWith.clear();
    armed.set(true);
  }

  public List<UUID> crashedWith() {
    return List.copyOf(crashedWith);
  }

  @Override
  public void published(List<UUID> ids) {
    if (armed.compareAndSet(true, false)) {
      crashedWith.addAll(ids);
      relay.get().stop();
      throw new IllegalStateException("simulated crash between publish and mark");
    }
  }
}
