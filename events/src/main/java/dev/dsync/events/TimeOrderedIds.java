package dev.dsync.events;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import java.util.UUID;

/**
 * Ids that PostgreSQL indexes cheaply: UUID version 7 (RFC 9562), the Unix time in milliseconds
 * first, then random bits, increasing within a millisecond. Event ids become keys of every
 * consumer's processed-event index and canonical ids keys of the reconciler's largest indexes; a
 * random (version 4) key lands on any leaf page of an index, one of these on its newest.
 */
public final class TimeOrderedIds {

  private static final TimeBasedEpochGenerator GENERATOR = Generators.timeBasedEpochGenerator();

  private TimeOrderedIds() {}

  public static UUID next() {
    return GENERATOR.generate();
  }
}
