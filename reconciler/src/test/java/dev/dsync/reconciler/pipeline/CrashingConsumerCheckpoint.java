package dev.dsync.reconciler.pipeline;

import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/** Test: when armed, "kills" the consumer after a batch committed in PostgreSQL and before its offsets are committed. */
@ApplicationScoped
@Unremovable
public class CrashingConsumerCheckpoint implements ConsumerCheckpoint {

  private final AtomicBoolean armed = new AtomicBoolean();
  private final List<UUID> crashedWith = new CopyOnWriteArrayList<>();

  public void arm() {
    crashedWith.clear();
    armed.set(true);
  }

  public List<UUID> crashedWith() {
    return List.copyOf(crashedWith);
  }

  @Override
  public void committed(List<UUID> eventIds) {
    if (armed.compareAndSet(true, false)) {
      crashedWith.addAll(eventIds);
      throw new IllegalStateException("simulated crash between the database commit and the offset commit");
    }
  }
}
