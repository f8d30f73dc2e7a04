package dev.dsync.audit.verify;

import dev.dsync.audit.chain.ChainHash;
import dev.dsync.audit.chain.ChainedRecord;
import java.util.List;

/**
 * Walks records in position order and stops at the first break. Gaps are allowed only inside the
 * prefix that a RETENTION checkpoint declared deletable; the record after that prefix must point
 * at the checkpoint's hash.
 */
final class ChainWalk {

  private final long prunedThrough;
  private final String prunedHash;
  private long prevSeq;
  private String prevHash;
  private long checked;
  private Long first;
  private ChainBreak broken;

  /**
   * @param prevSeq position before the first one to check
   * @param prevHash hash at {@code prevSeq}, or null if unknown (removed by retention)
   */
  ChainWalk(long prevSeq, String prevHash, long prunedThrough, String prunedHash) {
    this.prevSeq = prevSeq;
    this.prevHash = prevHash;
    this.prunedThrough = prunedThrough;
    this.prunedHash = prunedHash;
  }

  /** Checks the next record; answers false (and remembers why) at the first break. */
  boolean accept(ChainedRecord r, List<String> anchors) {
    if (broken != null) {
      return false;
    }
    if (r.position() != prevSeq + 1) {
      long missingFrom = prevSeq + 1;
      long missingTo = r.position() - 1;
      if (missingTo > prunedThrough) {
        return fail(
            new ChainBreak(
                Math.max(missingFrom, prunedThrough + 1),
                null,
                ChainBreak.Kind.RECORDS_MISSING,
                "positions " + Math.max(missingFrom, prunedThrough + 1) + ".." + missingTo + " are missing"));
      }
      prevHash = missingTo == prunedThrough ? prunedHash : null;
    }
    if (prevHash != null && !prevHash.equals(r.prevHash())) {
      return fail(
          new ChainBreak(
              r.position(), r.eventId(), ChainBreak.Kind.LINK_BROKEN,
              "previous hash does not match the record at position " + (r.position() - 1)));
    }
    String recomputed = ChainHash.hash(r);
    if (!recomputed.equals(r.hash())) {
      return fail(
          new ChainBreak(
              r.position(), r.eventId(), ChainBreak.Kind.RECORD_ALTERED,
              "the record's content does not match its hash"));
    }
    if (anchors != null) {
      for (String anchor : anchors) {
        if (!anchor.equals(r.hash())) {
          return fail(
              new ChainBreak(
                  r.position(), r.eventId(), ChainBreak.Kind.CHECKPOINT_MISMATCH,
                  "a checkpoint at this position has a different hash"));
        }
      }
    }
    if (first == null) {
      first = r.position();
    }
    checked++;
    prevSeq = r.position();
    prevHash = r.hash();
    return true;
  }

  /** After the last record of a walk that ran to the head: the head must be where the walk ended. */
  void finishAtHead(long headSeq, String headHash) {
    if (broken != null || headSeq == 0) {
      return;
    }
    if (prevSeq < headSeq && headSeq > prunedThrough) {
      long from = Math.max(prevSeq + 1, prunedThrough + 1);
      fail(new ChainBreak(from, null, ChainBreak.Kind.RECORDS_MISSING, "positions " + from + ".." + headSeq + " are missing"));
    } else if (prevSeq == headSeq && !headHash.equals(prevHash)) {
      fail(new ChainBreak(prevSeq, null, ChainBreak.Kind.HEAD_MISMATCH, "the last record is not the recorded chain head"));
    } else if (prevSeq > headSeq) {
      fail(new ChainBreak(headSeq + 1, null, ChainBreak.Kind.HEAD_MISMATCH, "records exist beyond the recorded chain head"));
    }
  }

  private boolean fail(ChainBreak b) {
    broken = b;
    return false;
  }

  ChainBreak broken() {
    return broken;
  }

  long checked() {
    return checked;
  }

  Long first() {
    return first;
  }

  Long last() {
    return first == null ? null : prevSeq;
  }
}
