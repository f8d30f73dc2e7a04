package dev.dsync.audit.checkpoint;

import dev.dsync.audit.chain.ChainHash;
import dev.dsync.events.EventType;
import dev.dsync.events.audit.AuditCheckpoint;
import dev.dsync.platform.outbox.Outbox;
import dev.dsync.platform.outbox.OutboxMessage;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Takes checkpoints: records a tenant's chain head (position, hash, record count) and publishes it
 * to dsync.audit.records as {@code dsync.audit.checkpoint} through the outbox, in one transaction,
 * so a checkpoint is stored if and only if it is published.
 */
@ApplicationScoped
public class CheckpointService {

  private static final String MOVED_HEADS =
      "select tenant_id, seq, hash from chain_head where seq > checkpointed_seq"
          + " order by tenant_id limit :limit for update skip locked";

  private static final String MARK = "update chain_head set checkpointed_seq = :seq where tenant_id = :tenant";

  private static final String PRUNED =
      "select coalesce(max(head_position), 0) from audit_checkpoint"
          + " where tenant_id = :tenant and reason = 'RETENTION'";

  private static final String RECORD_HASH =
      "select hash from audit_record where tenant_id = :tenant and seq = :seq";

  private final Outbox outbox;

  public CheckpointService(Outbox outbox) {
    this.outbox = outbox;
  }

  /** Checkpoints up to {@code limit} tenants whose head moved since their last checkpoint. */
  public Uni<Integer> checkpointMovedHeads(int limit) {
    return Panache.withTransaction(
        () ->
            Panache.getSession()
                .chain(s -> s.createNativeQuery(MOVED_HEADS, Object[].class).setParameter("limit", limit).getResultList())
                .chain(
                    heads -> {
                      Uni<Integer> done = Uni.createFrom().item(0);
                      for (Object[] head : heads) {
                        String tenant = (String) head[0];
                        long seq = ((Number) head[1]).longValue();
                        String hash = (String) head[2];
                        done =
                            done.chain(
                                n ->
                                    take(tenant, seq, hash, Checkpoint.Reason.PERIODIC)
                                        .chain(c -> markCheckpointed(tenant, seq))
                                        .replaceWith(n + 1));
                      }
                      return done;
                    }));
  }

  /**
   * Inside a transaction: records and publishes a RETENTION checkpoint at {@code position}, which
   * allows retention to delete the records up to and including it. Answers null if that record is
   * gone already.
   */
  public Uni<Checkpoint> retentionCheckpoint(String tenant, long position) {
    return Panache.getSession()
        .chain(
            s ->
                s.createNativeQuery(RECORD_HASH, String.class)
                    .setParameter("tenant", tenant)
                    .setParameter("seq", position)
                    .getResultList())
        .chain(
            hashes ->
                hashes.isEmpty()
                    ? Uni.createFrom().nullItem()
                    : take(tenant, position, hashes.get(0), Checkpoint.Reason.RETENTION));
  }

  /** The checkpoints of a tenant, newest first (for the admin API and tests). */
  public Uni<List<Checkpoint>> list(String tenant, int limit) {
    return Checkpoint.<Checkpoint>find("tenantId = ?1 order by headPosition desc, createdAt desc", tenant)
        .page(0, limit)
        .list();
  }

  private Uni<Checkpoint> take(String tenant, long position, String hash, Checkpoint.Reason reason) {
    return Panache.getSession()
        .chain(s -> s.createNativeQuery(PRUNED, Long.class).setParameter("tenant", tenant).getSingleResult())
        .chain(
            pruned -> {
              Checkpoint c = new Checkpoint();
              c.id = UUID.randomUUID();
              c.tenantId = tenant;
              c.headPosition = position;
              c.headHash = hash;
              // Records in the chain after retention: positions (pruned, position].
              c.recordCount = Math.max(0, position - Math.max(pruned, 0));
              c.reason = reason;
              c.createdAt = ChainHash.micros(Instant.now());
              AuditCheckpoint event = new AuditCheckpoint(c.headHash, c.recordCount, c.headPosition, c.createdAt);
              return c.<Checkpoint>persist()
                  .chain(
                      () ->
                          outbox.append(
                              new OutboxMessage(
                                  c.id, EventType.AUDIT_CHECKPOINT, tenant, tenant, null, "audit-chain/" + tenant, event)))
                  .replaceWith(c);
            });
  }

  private Uni<Integer> markCheckpointed(String tenant, long seq) {
    return Panache.getSession()
        .chain(s -> s.createNativeQuery(MARK).setParameter("seq", seq).setParameter("tenant", tenant).executeUpdate());
  }
}
