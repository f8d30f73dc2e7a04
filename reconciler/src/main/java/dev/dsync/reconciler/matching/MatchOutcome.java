package dev.dsync.reconciler.matching;

/** What correlation found for a source user that is not linked yet. */
public enum MatchOutcome {
  /** No canonical identity matched: a new one is created. */
  NEW,
  /** Exactly one matched: the source is linked to it. */
  MATCHED,
  /** More than one matched on the deciding key: held for an administrator, never guessed. */
  DISPUTED
}
