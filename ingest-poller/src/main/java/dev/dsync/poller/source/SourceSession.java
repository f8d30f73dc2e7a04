package dev.dsync.poller.source;

import io.smallrye.mutiny.Uni;

/** One job run's reading state (open connections, tokens). Pages are requested one at a time. */
public interface SourceSession extends AutoCloseable {

  /**
   * The page that starts at {@code cursor}: null for the first page, otherwise a cursor a previous
   * page returned, possibly in an earlier process (after a crash the job resumes from it).
   */
  Uni<Page> next(String cursor);

  @Override
  default void close() {}
}
