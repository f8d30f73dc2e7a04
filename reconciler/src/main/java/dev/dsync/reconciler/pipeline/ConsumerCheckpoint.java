package dev.dsync.reconciler.pipeline;

import java.util.List;
import java.util.UUID;

/**
 * Observes the consumer at its riskiest moment: a batch is committed in PostgreSQL, its offsets
 * are not yet committed in Kafka. A crash here must lose nothing and duplicate nothing; tests use
 * this to crash the consumer there.
 */
public interface ConsumerCheckpoint {

  /** Called after the batch's transaction committed, before its offsets are committed. */
  void committed(List<UUID> eventIds);
}
