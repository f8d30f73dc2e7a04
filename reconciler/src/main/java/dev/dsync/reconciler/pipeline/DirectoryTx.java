package dev.dsync.reconciler.pipeline;

import dev.dsync.events.EventType;
import dev.dsync.platform.outbox.OutboxMessage;
import dev.dsync.reconciler.rules.CompiledRules;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one transaction knows about one directory it holds locked: tenant, rules, the next
 * sequence, outgoing events not yet appended, counters, and the transaction's {@link Store}.
 * Not thread-safe: one per transaction.
 */
public final class DirectoryTx {

  public final String tenantId;
  public final String directoryId;
  public final CompiledRules rules;
  /** The transaction's rows (shared by every directory the transaction holds). */
  public final Store store;
  private long sequence;
  private long stale;
  private final List<OutboxMessage> out = new ArrayList<>();
  /** Where in {@link #out} each entity's latest state record is. */
  private final Map<String, Integer> stateIndex = new HashMap<>();
  /** Where outcomes are counted: the job being applied, or the batch. */
  public Counters counters = new Counters();
  /** True once this transaction found no BLOCKED job of the directory (it holds the directory's lock). */
  public boolean knownUnblocked;

  /** Users' mapped attributes by source resource (identity): read ahead, classified and applied, a resource is mapped once. */
  private final Map<ObjectNode, Map<String, Object>> mappedUsers = new IdentityHashMap<>();

  public DirectoryTx(String tenantId, String directoryId, CompiledRules rules, long sequence, Store store) {
    this.tenantId = tenantId;
    this.directoryId = directoryId;
    this.rules = rules;
    this.sequence = sequence;
    this.store = store;
  }

  /** The user attributes {@code resource} maps to under this transaction's rules (unmodifiable). */
  public Map<String, Object> mappedUser(ObjectNode resource) {
    return mappedUsers.computeIfAbsent(resource, r -> Collections.unmodifiableMap(rules.users().map(r)));
  }

  /** Forgets what {@link #mappedUser} worked out, with the page (or chunk) whose rows the store forgets. */
  public void forgetMapped() {
    mappedUsers.clear();
  }

  /** The next per-directory sequence number for an identity event. */
  public long nextSequence() {
    return ++sequence;
  }

  public long sequence() {
    return sequence;
  }

  public void emit(OutboxMessage event) {
    // Written now: until the append at the end of the batch or page, the text is all that is kept
    // (the data's object graph died young instead of being copied by every young collection).
    OutboxMessage message = event.written();
    if (message.type() == EventType.IDENTITY_STATE) {
      // A compacted topic keeps only an entity's last state: within one append, earlier states of
      // the same entity (a user created, then added to groups) are dropped rather than published.
      Integer earlier = stateIndex.put(message.key(), out.size());
      if (earlier != null) {
        out.set(earlier, null);
      }
    }
    out.add(message);
  }

  public void staleSeen() {
    stale++;
  }

  public long stale() {
    return stale;
  }

  /** The events emitted since the last drain, in order (superseded state records left out); clears them. */
  public List<OutboxMessage> drain() {
    List<OutboxMessage> copy = new ArrayList<>(out.size());
    for (OutboxMessage m : out) {
      if (m != null) {
        copy.add(m);
      }
    }
    out.clear();
    stateIndex.clear();
    return copy;
  }

  public void resetStale() {
    stale = 0;
  }
}
