package dev.dsync.poller.source;

/**
 * A source refused or failed a job. The message is safe to show to an administrator and to put
 * into a SyncJobFailed event: it never holds credentials or response bodies.
 */
public class SourceException extends RuntimeException {

  private final Kind kind;

  public SourceException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** Why a source failed. */
  public enum Kind {
    /** The credentials were refused; the connection needs new ones. */
    INVALID_CREDENTIALS,
    /** The incremental token or watermark is no longer accepted; a complete sync is needed. */
    DELTA_EXPIRED,
    /** The source kept failing or throttling past the retry budget. */
    UNAVAILABLE,
    /** The source answered something this connector cannot use (misconfiguration, permissions). */
    REJECTED
  }

  public static SourceException invalidCredentials(String message) {
    return new SourceException(Kind.INVALID_CREDENTIALS, message);
  }

  public static SourceException deltaExpired(String message) {
    return new SourceException(Kind.DELTA_EXPIRED, message);
  }

  public static SourceException unavailable(String message) {
    return new SourceException(Kind.UNAVAILABLE, message);
  }

  public static SourceException rejected(String message) {
    return new SourceException(Kind.REJECTED, message);
  }
}
