package dev.dsync.audit.verify;

import java.util.UUID;

/** The first place a chain does not verify: where, which record, and what is wrong. */
public record ChainBreak(long position, UUID eventId, Kind kind, String detail) {

  /** What verification found. */
  public enum Kind {
    /** The record's content does not match its hash: it was edited. */
    RECORD_ALTERED,
    /** The record does not point at the hash of the record before it: one was replaced or reordered. */
    LINK_BROKEN,
    /** Positions are missing that retention did not remove: records were deleted. */
    RECORDS_MISSING,
    /** The record differs from a published checkpoint at its position: the chain was rewritten. */
    CHECKPOINT_MISMATCH,
    /** The last record is not the chain head the service recorded: the tail was cut or changed. */
    HEAD_MISMATCH
  }
}
