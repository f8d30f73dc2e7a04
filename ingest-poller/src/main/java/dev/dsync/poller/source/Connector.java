package dev.dsync.poller.source;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.source.SyncMode;
import dev.dsync.platform.errors.Problem;
import io.smallrye.mutiny.Uni;
import java.util.List;

/** Reads one kind of directory page by page and normalises what it sees to SCIM. */
public interface Connector {

  ConnectionType type();

  /** What is wrong with these settings and credentials; empty when usable. Field names start with settings. or credentials. */
  List<Problem.FieldError> validate(ObjectNode settings, ObjectNode scope, ObjectNode credentials);

  /** Credentials field names that hold secrets (all are encrypted; these are the ones required). */
  List<String> credentialFields();

  /**
   * Opens a reading session for one job run. {@code mode} is COMPLETE to list everything, or
   * INCREMENTAL to read changes since {@link SourceContext#incrementalState()}.
   */
  SourceSession open(SourceContext context, SyncMode mode);

  /** Checks connectivity and permissions without changing anything. */
  Uni<TestReport> test(SourceContext context);
}
