package dev.dsync.platform.outbox;

import java.util.List;
import java.util.UUID;

/**
 * Observes the relay at its riskiest moment: the broker has acknowledged a batch, the rows are not
 * yet marked published. A crash here must lose nothing and, because the re-sent events keep their
 * ids, cause no second effect at an idempotent consumer; tests use this to crash it there.
 */
public interface RelayCheckpoint {

  /**
   * Called after the broker acknowledged the events of the rows {@code ids}, before the rows are
   * marked published. A plain row's id is its event's id; a batch row's is its own.
   */
  void published(List<UUID> ids);
}
