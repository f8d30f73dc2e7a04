package dev.dsync.reconciler.jobs;

import dev.dsync.reconciler.pipeline.SourceChangesConsumer;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Test: when armed, "kills" the consumer right after a job's first page committed, leaving the job half applied. */
@ApplicationScoped
@Unremovable
public class HaltingJobPageCheckpoint implements JobPageCheckpoint {

  @Inject SourceChangesConsumer consumer;

  private final AtomicBoolean armed = new AtomicBoolean();
  private final AtomicInteger halts = new AtomicInteger();
  /** Pages still to commit before the halt. */
  private final AtomicInteger pagesBeforeHalt = new AtomicInteger();

  public void arm() {
    arm(1);
  }

  /** Halts after the next {@code pages} pages committed (the last of them not the job's last). */
  public void arm(int pages) {
    pagesBeforeHalt.set(pages);
    armed.set(true);
  }

  public int halts() {
    return halts.get();
  }

  private final Map<String, AtomicInteger> pages = new ConcurrentHashMap<>();

  /** Pages of {@code jobId} committed so far. */
  public int pages(String jobId) {
    AtomicInteger n = pages.get(jobId);
    return n == null ? 0 : n.get();
  }

  @Override
  public void pageCommitted(String jobId, boolean last) {
    pages.computeIfAbsent(jobId, k -> new AtomicInteger()).incrementAndGet();
    if (!last && armed.get() && pagesBeforeHalt.decrementAndGet() == 0 && armed.compareAndSet(true, false)) {
      // stop() waits for the consumer thread, which is waiting for this page: stop from elsewhere.
      Thread stopper = new Thread(consumer::stop, "test-consumer-stopper");
      stopper.start();
      halts.incrementAndGet();
      throw new IllegalStateException("simulated crash between two pages of job " + jobId);
    }
  }
}
