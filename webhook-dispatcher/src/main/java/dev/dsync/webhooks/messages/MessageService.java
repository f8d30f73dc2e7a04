package dev.dsync.webhooks.messages;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.dsync.events.EventJson;
import dev.dsync.webhooks.delivery.Claimed;
import dev.dsync.webhooks.delivery.Delivery;
import dev.dsync.webhooks.delivery.DeliveryWorker;
import dev.dsync.webhooks.delivery.RetryPolicy;
import dev.dsync.webhooks.endpoints.Endpoint;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Turns events into webhook messages and schedules their delivery to subscribed endpoints. */
@ApplicationScoped
public class MessageService {

  /** An identity event as consumed: its CloudEvents envelope and its JSON data. */
  public record Event(UUID id, String tenantId, String directoryId, String type, Instant occurredAt, String data) {}

  private static final String RECORD_PROCESSED =
      "insert into processed_event (consumer, event_id) select $1, unnest($2::uuid[])"
          + " on conflict do nothing returning event_id";

  private static final String INSERT_MESSAGES =
      "insert into message (id, tenant_id, directory_id, event_type, sequence, occurred_at, payload, created_at)"
          // A batch shares one intake time; each row is a microsecond later than the one before, so
          // listings newest-first (created_at, id) keep the order the events were consumed in.
          + " select u.id, u.tenant_id, u.directory_id, u.event_type, u.sequence, u.occurred_at, u.payload,"
          + " $8::timestamptz + u.ord * interval '1 microsecond'"
          + " from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::text[])"
          + " with ordinality as u(id, tenant_id, directory_id, event_type, sequence, occurred_at, payload, ord)";

  // With what a delivery handed straight to this replica's worker needs to be sent.
  private static final String SUBSCRIBERS =
      "select id, tenant_id, event_types, directory_ids, url, secret, previous_secret, previous_secret_expires_at,"
          + " rate_limit, failing_since from endpoint where enabled and tenant_id = any($1)"
          // Held until the batch commits: an endpoint being deleted (EndpointService.delete locks it
          // first) is either waited for and then skipped, or gets its deliveries removed after these.
          + " for key share";

  // Deliveries the worker took ($7) are inserted leased to it (claim $8, lease $9 seconds from the
  // transaction's start); the others are due at $5 for a claim. The messages are new in this
  // transaction (the inbox saw their ids for the first time), so no delivery of them exists yet.
  private static final String INSERT_DELIVERIES =
      "insert into delivery (id, tenant_id, message_id, endpoint_id, status, attempts, schedule_base,"
          + " next_attempt_at, claim_id, created_at, updated_at)"
          + " select u.id, u.tenant_id, u.message_id, u.endpoint_id, 'PENDING', 0, 0,"
          + " case when u.leased then now() + make_interval(secs => $9) else $5 end,"
          + " case when u.leased then $8::uuid end, $6, $6"
          + " from unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $7::bool[])"
          + " as u(id, tenant_id, message_id, endpoint_id, leased)";

  private final RetryPolicy policy;
  private final Pool pool;
  private final DeliveryWorker worker;

  public MessageService(RetryPolicy policy, Pool pool, DeliveryWorker worker) {
    this.policy = policy;
    this.pool = pool;
    this.worker = worker;
  }

  /**
   * Stores a batch of events as messages with one pending delivery per enabled endpoint of their
   * tenant that subscribes to them, in one transaction with the inbox record of their ids (an id
   * seen before is skipped); answers how many deliveries were scheduled. A few statements per
   * batch, not per event: this is the dispatcher's intake rate. Deliveries whose endpoint's lane
   * has room here are inserted leased to this replica and start as soon as the transaction commits
   * (no claim, no wait for one); the others are due for a claim.
   */
  public Uni<Integer> ingest(String consumer, List<Event> events) {
    Map<UUID, WebhookMessage> byId = new LinkedHashMap<>();
    for (Event e : events) {
      if (byId.containsKey(e.id())) {
        continue;
      }
      try {
        byId.put(e.id(), message(e.id(), e.tenantId(), e.directoryId(), e.type(), e.occurredAt(), e.data()));
      } catch (UncheckedIOException notJson) {
        // It can never become a webhook body; skipped (and logged) rather than retried forever.
        Log.errorf("skipping event %s: its data is not JSON", e.id());
      }
    }
    if (byId.isEmpty()) {
      return Uni.createFrom().item(0);
    }
    // Deferred: a retry of the batch is a new transaction with a new hand-off.
    return Uni.createFrom().deferred(() -> store(consumer, byId));
  }

  private Uni<Integer> store(String consumer, Map<UUID, WebhookMessage> byId) {
    DeliveryWorker.HandOff handOff = worker.handOff();
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(RECORD_PROCESSED)
                    .execute(Tuple.of(consumer, byId.keySet().toArray(UUID[]::new)))
                    .chain(
                        rows -> {
                          Set<UUID> fresh = new java.util.HashSet<>();
                          for (Row r : rows) {
                            fresh.add(r.getUUID(0));
                          }
                          List<WebhookMessage> stored = byId.values().stream().filter(m -> fresh.contains(m.id)).toList();
                          if (stored.isEmpty()) {
                            return Uni.createFrom().item(0);
                          }
                          return insertMessages(conn, stored).chain(() -> scheduleAll(conn, stored, handOff));
                        }))
        .onItemOrFailure()
        .invoke(
            (scheduled, failure) -> {
              if (failure == null) {
                handOff.commit();
              } else {
                handOff.abandon();
              }
            });
  }

  /** An endpoint's filters, parsed once per batch rather than once per message, and how to send to it. */
  private record Subscriber(
      UUID id,
      Set<String> types,
      Set<String> directories,
      String url,
      byte[] secret,
      byte[] previousSecret,
      Instant previousSecretExpiresAt,
      Integer rateLimit,
      Instant failingSince) {
    static Subscriber of(Row r) {
      Endpoint e = new Endpoint();
      e.eventTypes = r.getString("event_types");
      e.directoryIds = r.getString("directory_ids");
      return new Subscriber(
          r.getUUID("id"),
          new java.util.HashSet<>(e.eventTypeList()),
          new java.util.HashSet<>(e.directoryIdList()),
          r.getString("url"),
          r.getBuffer("secret").getBytes(),
          r.getBuffer("previous_secret") == null ? null : r.getBuffer("previous_secret").getBytes(),
          instant(r.getOffsetDateTime("previous_secret_expires_at")),
          r.getInteger("rate_limit"),
          instant(r.getOffsetDateTime("failing_since")));
    }

    /** As {@link Endpoint#subscribes}: an empty filter means all. */
    boolean subscribes(String type, String directoryId) {
      return (types.isEmpty() || types.contains(type))
          && (directories.isEmpty() || (directoryId != null && directories.contains(directoryId)));
    }
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  private static Uni<Void> insertMessages(SqlConnection conn, List<WebhookMessage> ms) {
    int n = ms.size();
    UUID[] ids = new UUID[n];
    String[] tenants = new String[n];
    String[] directories = new String[n];
    String[] types = new String[n];
    Long[] sequences = new Long[n];
    OffsetDateTime[] times = new OffsetDateTime[n];
    String[] payloads = new String[n];
    for (int i = 0; i < n; i++) {
      WebhookMessage m = ms.get(i);
      ids[i] = m.id;
      tenants[i] = m.tenantId;
      directories[i] = m.directoryId;
      types[i] = m.eventType;
      sequences[i] = m.sequence;
      times[i] = m.occurredAt.atOffset(ZoneOffset.UTC);
      payloads[i] = m.payload;
    }
    return conn.preparedQuery(INSERT_MESSAGES)
        .execute(Tuple.from(new Object[] {ids, tenants, directories, types, sequences, times, payloads, now().atOffset(ZoneOffset.UTC)}))
        .replaceWithVoid();
  }

  private Uni<Integer> scheduleAll(SqlConnection conn, List<WebhookMessage> ms, DeliveryWorker.HandOff handOff) {
    String[] tenantIds = ms.stream().map(m -> m.tenantId).distinct().toArray(String[]::new);
    return conn.preparedQuery(SUBSCRIBERS)
        .execute(Tuple.of(tenantIds))
        .chain(
            rows -> {
              Map<String, List<Subscriber>> byTenant = new HashMap<>();
              for (Row r : rows) {
                byTenant.computeIfAbsent(r.getString("tenant_id"), t -> new ArrayList<>()).add(Subscriber.of(r));
              }
              Instant now = now();
              Instant firstAttemptAt = policy.firstAttemptAt(now);
              // Only a delivery due at once may skip the claim.
              boolean dueNow = !firstAttemptAt.isAfter(now);
              List<UUID> ids = new ArrayList<>();
              List<String> tenants = new ArrayList<>();
              List<UUID> messageIds = new ArrayList<>();
              List<UUID> endpointIds = new ArrayList<>();
              List<Boolean> leased = new ArrayList<>();
              for (WebhookMessage m : ms) {
                for (Subscriber e : byTenant.getOrDefault(m.tenantId, List.of())) {
                  if (e.subscribes(m.eventType, m.directoryId)) {
                    UUID id = UUID.randomUUID();
                    ids.add(id);
                    tenants.add(m.tenantId);
                    messageIds.add(m.id);
                    endpointIds.add(e.id());
                    leased.add(dueNow && handOff.take(claimed(id, m, e, handOff)));
                  }
                }
              }
              if (ids.isEmpty()) {
                return Uni.createFrom().item(0);
              }
              return conn.preparedQuery(INSERT_DELIVERIES)
                  .execute(
                      Tuple.from(
                          new Object[] {
                            ids.toArray(UUID[]::new),
                            tenants.toArray(String[]::new),
                            messageIds.toArray(UUID[]::new),
                            endpointIds.toArray(UUID[]::new),
                            firstAttemptAt.atOffset(ZoneOffset.UTC),
                            now.atOffset(ZoneOffset.UTC),
                            leased.toArray(Boolean[]::new),
                            handOff.claimId(),
                            handOff.leaseSeconds()
                          }))
                  .map(r -> r.rowCount());
            });
  }

  /** A new delivery as the worker sends it: its first attempt, under the hand-off's lease. */
  private static Claimed claimed(UUID deliveryId, WebhookMessage m, Subscriber e, DeliveryWorker.HandOff handOff) {
    return new Claimed(
        deliveryId,
        handOff.claimId(),
        m.tenantId,
        m.id,
        e.id(),
        0,
        0,
        m.eventType,
        m.payload,
        m.occurredAt,
        e.url(),
        e.secret(),
        e.previousSecret(),
        e.previousSecretExpiresAt(),
        e.rateLimit(),
        e.failingSince(),
        handOff.sendBy());
  }

  /** Inside the caller's transaction: schedules {@code message} to {@code endpoints} now. */
  public Uni<Integer> schedule(WebhookMessage message, List<Endpoint> endpoints) {
    Instant now = now();
    Uni<Void> chain = Uni.createFrom().voidItem();
    for (Endpoint e : endpoints) {
      Delivery d = Delivery.pending(message.tenantId, message.id, e.id, now, policy.firstAttemptAt(now));
      chain = chain.chain(() -> d.persist()).replaceWithVoid();
    }
    return chain.replaceWith(endpoints.size());
  }

  /**
   * A message whose payload is the Standard Webhooks body: type, timestamp and the event data.
   * The data is streamed into the body (checked to be JSON, its top-level {@code sequence} read
   * on the way) rather than built as a tree and written again: the same bytes, at a fraction of
   * the allocation, for every event of the intake.
   */
  public static WebhookMessage message(UUID id, String tenantId, String directoryId, String type, Instant occurredAt, String data) {
    WebhookMessage m = new WebhookMessage();
    m.id = id;
    m.tenantId = tenantId;
    m.directoryId = directoryId;
    m.eventType = type;
    m.occurredAt = occurredAt.truncatedTo(ChronoUnit.MICROS);
    m.createdAt = now();
    StringWriter body = new StringWriter(data.length() + 128);
    JsonFactory json = EventJson.mapper().getFactory();
    try (JsonParser in = json.createParser(data);
        JsonGenerator out = json.createGenerator(body)) {
      JsonToken first = in.nextToken();
      if (first == null) {
        throw new JsonParseException(in, "no JSON value");
      }
      out.writeStartObject();
      out.writeStringField("type", type);
      out.writeStringField("timestamp", m.occurredAt.toString());
      out.writeFieldName("data");
      if (first == JsonToken.START_OBJECT) {
        out.writeStartObject();
        for (JsonToken t = in.nextToken(); t == JsonToken.FIELD_NAME; t = in.nextToken()) {
          String name = in.currentName();
          JsonToken value = in.nextToken();
          if ("sequence".equals(name)) {
            m.sequence = asLong(in, value);
          }
          out.writeFieldName(name);
          out.copyCurrentStructure(in);
        }
        out.writeEndObject();
      } else {
        out.copyCurrentStructure(in);
      }
      out.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    m.payload = body.toString();
    return m;
  }

  /** A whole number's value (a float's whole part, as Jackson's asLong), or null. */
  private static Long asLong(JsonParser in, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_NUMBER_INT && in.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
      return in.getLongValue();
    }
    if (value == JsonToken.VALUE_NUMBER_FLOAT) {
      double d = in.getDoubleValue();
      return d >= Long.MIN_VALUE && d <= Long.MAX_VALUE ? (long) d : null;
    }
    return null;
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
