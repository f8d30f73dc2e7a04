package dev.dsync.bench.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.bench.BenchEnv;
import dev.dsync.bench.Latencies;
import dev.dsync.bench.Processes;
import dev.dsync.events.EventType;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Load on a running audit-service (bin/dsync bench audit), on the two targets: ingest of
 * at least 10,000 records/s from Kafka, and p99 under 100 ms for a filtered page on 10 million
 * rows.
 *
 * <ol>
 *   <li>ingest: {@code events} valid CloudEvents (binary mode, the golden samples of every audited
 *       type, over the five topics) for {@code tenants} tenants, published as fast as Kafka takes
 *       them; timed from the first publish until the tenants' chain heads (not count(*)) reach
 *       {@code events}; then the first tenant's chain is verified through the API. A warm-up burst
 *       of {@code warmup} events to other tenants goes first and does not count.
 *   <li>seed: the first tenant is filled up to {@code rows} records by SQL ({@code insert ...
 *       select from generate_series}, skewed directories, actors, actions and entities over a
 *       year), with the secondary indexes dropped during the load and rebuilt after it, then
 *       VACUUM ANALYZE. The seeded rows carry placeholder hashes: that part of the chain does not
 *       verify.
 *   <li>query: {@code queries} filtered first pages (limit 50) through the HTTP API per filter,
 *       with values sampled from the table, plus pages reached by following nextCursor and pages
 *       that start at a cursor in the middle of the tenant's records.
 * </ol>
 *
 * <p>Usage: {@code bin/dsync bench audit [events=200000] [rows=10000000] [tenants=10]
 * [warmup=20000] [queries=200] [seedThreads=2] [keepIndexes=false]}. Prints a table, writes
 * audit-bench.json.
 */
public final class AuditBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PAGE = 50;
  private static final String SERVICE = "audit-service";

  /** What each audited type looks like in the bench's mix, as a weight out of 100. */
  private static final Map<EventType, Integer> INGEST_MIX = new EnumMap<>(EventType.class);

  static {
    for (EventType t : EventType.values()) {
      INGEST_MIX.put(t, 2);
    }
    INGEST_MIX.remove(EventType.IDENTITY_STATE); // not audited
    INGEST_MIX.remove(EventType.AUDIT_CHECKPOINT); // the service's own output, skipped
    INGEST_MIX.put(EventType.SOURCE_USER_UPSERTED, 12);
    INGEST_MIX.put(EventType.USER_UPDATED, 12);
    INGEST_MIX.put(EventType.PROVISIONING_RESULT, 10);
    INGEST_MIX.put(EventType.WEBHOOK_ATTEMPT, 12);
    INGEST_MIX.put(EventType.AUDIT_RECORD, 4);
  }

  private final BenchEnv env;
  private final String tenant;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, Object> facts = new LinkedHashMap<>();
  private final List<QueryResult> queries = new ArrayList<>();

  record QueryResult(String name, long samples, int errors, double p50, double p99, double max, double meanRows) {}

  private AuditBench(BenchEnv env) throws IOException {
    this.env = env;
    this.tenant = tenantOf(env.adminToken());
  }

  public static void run(BenchEnv env, String[] args) throws Exception {
    // The Kafka client's INFO lines would bury the table.
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are name=value, e.g. events=200000 rows=10000000; got " + arg);
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    int events = Integer.parseInt(a.getOrDefault("events", "200000"));
    long rows = Long.parseLong(a.getOrDefault("rows", "10000000"));
    int tenants = Integer.parseInt(a.getOrDefault("tenants", "10"));
    int warmup = Integer.parseInt(a.getOrDefault("warmup", "20000"));
    int perFilter = Integer.parseInt(a.getOrDefault("queries", "200"));
    int seedThreads = Integer.parseInt(a.getOrDefault("seedThreads", "2"));
    boolean keepIndexes = Boolean.parseBoolean(a.getOrDefault("keepIndexes", "false"));
    AuditBench bench = new AuditBench(env);
    bench.facts.put("events", events);
    bench.facts.put("tenants", tenants);
    bench.facts.put("rowsTarget", rows);
    long start = System.nanoTime();
    bench.ingest(events, tenants, warmup);
    bench.seed(rows, seedThreads, keepIndexes);
    bench.query(perFilter);
    bench.facts.put("rssMibEnd", bench.rss());
    bench.facts.put("benchSeconds", (System.nanoTime() - start) / 1e9);
    bench.print();
    bench.write();
  }

  // ---------------------------------------------------------------------------------- ingest

  private void ingest(int events, int tenantCount, int warmup) throws Exception {
    List<EventType> mix = new ArrayList<>();
    Map<EventType, String> samples = new EnumMap<>(EventType.class);
    INGEST_MIX.forEach(
        (type, weight) -> {
          samples.put(type, sample(type));
          for (int i = 0; i < weight; i++) {
            mix.add(type);
          }
        });
    List<String> tenants = new ArrayList<>();
    tenants.add(tenant); // the token's tenant: its chain is verified through the API
    for (int i = 1; i < tenantCount; i++) {
      tenants.add(tenant + "-" + i);
    }
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.kafkaBootstrap());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        Connection db = db()) {
      if (warmup > 0) {
        List<String> warm = new ArrayList<>();
        for (int i = 0; i < tenantCount; i++) {
          warm.add(tenant + "-warmup-" + i);
        }
        Burst w = burst(producer, db, mix, samples, warm, warmup);
        System.out.printf(Locale.ROOT, "warm-up (not counted): %d records in %.1f s, %.0f/s%n", warmup, w.seconds, warmup / w.seconds);
      }
      double cpuBefore = Processes.cpuSeconds(env.pid(SERVICE));
      double stackBefore = Processes.cpuSeconds(env.pid("devstack"));
      double pgBefore = Processes.cpuSeconds(postmaster());
      facts.put("loadAverageBeforeIngest", loadAverage());
      Burst b = burst(producer, db, mix, samples, tenants, events);
      double cpu = Processes.cpuSeconds(env.pid(SERVICE)) - cpuBefore;
      facts.put("loadAverageAfterIngest", loadAverage());
      facts.put("ingestKafkaCpuSeconds", Processes.cpuSeconds(env.pid("devstack")) - stackBefore);
      facts.put("ingestPostgresCpuSeconds", Processes.cpuSeconds(postmaster()) - pgBefore);
      facts.put("ingestPublishSeconds", b.publishSeconds);
      facts.put("ingestSeconds", b.seconds);
      facts.put("ingestRecordsPerSecond", events / b.seconds);
      facts.put("ingestServiceCpuSeconds", cpu);
      facts.put("rssMibAfterIngest", rss());
      System.out.printf(Locale.ROOT, "ingest: %d records for %d tenants in %.1f s (published in %.1f s): %.0f records/s, audit-service CPU %.1f s%n",
          events, tenantCount, b.seconds, b.publishSeconds, events / b.seconds, cpu);
    }
    // Correctness beside speed: the first tenant's chain is whole, each event once.
    long t0 = System.nanoTime();
    HttpResponse<String> r = get("/api/v1/audit/verify");
    JsonNode report = JSON.readTree(r.body());
    facts.put("ingestChainValid", report.path("valid").asBoolean(false));
    facts.put("ingestChainCheckedRecords", report.path("checkedRecords").asLong(-1));
    facts.put("ingestChainExpectedRecords", (events + tenantCount - 1) / tenantCount);
    System.out.printf(Locale.ROOT, "verify %s: valid=%s, %d records checked in %.1f s%n",
        tenant, report.path("valid").asText(), report.path("checkedRecords").asLong(-1), (System.nanoTime() - t0) / 1e9);
  }

  private record Burst(double publishSeconds, double seconds) {}

  private Burst burst(KafkaProducer<String, String> producer, Connection db, List<EventType> mix,
      Map<EventType, String> samples, List<String> tenants, int count) throws Exception {
    String[] directories = new String[tenants.size() * 5];
    for (int i = 0; i < directories.length; i++) {
      directories[i] = UUID.randomUUID().toString();
    }
    long base = heads(db, tenants);
    long start = System.nanoTime();
    String now = Instant.now().toString();
    for (int i = 0; i < count; i++) {
      int t = i % tenants.size();
      EventType type = mix.get((i / tenants.size()) % mix.size());
      String directory = directories[t * 5 + (i / 7) % 5];
      String key = switch (type.topic().key()) {
        case "tenantId" -> tenants.get(t);
        case "directoryId" -> directory;
        default -> UUID.randomUUID().toString(); // targetId, endpointId
      };
      ProducerRecord<String, String> record = new ProducerRecord<>(type.topic().topicName(), key, samples.get(type));
      header(record, "ce_specversion", "1.0");
      header(record, "ce_id", UUID.randomUUID().toString());
      header(record, "ce_source", "/dsync/bench");
      header(record, "ce_type", type.type());
      header(record, "ce_time", now);
      header(record, "ce_tenantid", tenants.get(t));
      header(record, "ce_directoryid", directory);
      header(record, "content-type", "application/json");
      header(record, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
      producer.send(record);
    }
    producer.flush();
    double publishSeconds = (System.nanoTime() - start) / 1e9;
    long deadline = System.nanoTime() + Duration.ofSeconds(Math.max(120, count / 200)).toNanos();
    long lastReport = System.nanoTime();
    long done;
    while ((done = heads(db, tenants) - base) < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + done + " of " + count + " records recorded in time");
      }
      if (System.nanoTime() - lastReport > 5_000_000_000L) {
        System.out.printf(Locale.ROOT, "  ... %d of %d recorded after %.0f s%n", done, count, (System.nanoTime() - start) / 1e9);
        lastReport = System.nanoTime();
      }
      Thread.sleep(50);
    }
    return new Burst(publishSeconds, (System.nanoTime() - start) / 1e9);
  }

  /** Records in these tenants' chains, from their heads (counting rows would compete with the ingest). */
  private static long heads(Connection db, List<String> tenants) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement("select coalesce(sum(seq), 0) from audit.chain_head where tenant_id = any(?)")) {
      ps.setArray(1, db.createArrayOf("text", tenants.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  // ---------------------------------------------------------------------------------- seed

  /**
   * One kind of seeded record: type, action, entity, actor, and its share of the trail (weights
   * sum to 100). Users and webhook attempts dominate, admin actions are a few percent.
   */
  private record Kind(String type, String action, String source, String actorKind, String service,
      String entityType, String entityPrefix, int entitySpace, double failRate, String failOutcome, int weight) {}

  private static final List<Kind> KINDS = List.of(
      new Kind("dsync.source.user.upserted", "source.user.upserted", "/dsync/ingest-scim", "SCIM_TOKEN", null, "user", "u", 200_000, 0, "FAILURE", 20),
      new Kind("dsync.user.updated", "user.updated", "/dsync/reconciler", "SYSTEM", "reconciler", "user", "u", 200_000, 0, "FAILURE", 16),
      new Kind("dsync.user.created", "user.created", "/dsync/reconciler", "SYSTEM", "reconciler", "user", "u", 200_000, 0, "FAILURE", 4),
      new Kind("dsync.user.deleted", "user.deleted", "/dsync/reconciler", "SYSTEM", "reconciler", "user", "u", 200_000, 0, "FAILURE", 2),
      new Kind("dsync.source.group.membership_changed", "source.group.membership_changed", "/dsync/ingest-scim", "SCIM_TOKEN", null, "group", "g", 5_000, 0, "FAILURE", 6),
      new Kind("dsync.group.user_added", "group.user_added", "/dsync/reconciler", "SYSTEM", "reconciler", "group", "g", 5_000, 0, "FAILURE", 6),
      new Kind("dsync.group.user_removed", "group.user_removed", "/dsync/reconciler", "SYSTEM", "reconciler", "group", "g", 5_000, 0, "FAILURE", 3),
      new Kind("dsync.group.updated", "group.updated", "/dsync/reconciler", "SYSTEM", "reconciler", "group", "g", 5_000, 0, "FAILURE", 2),
      new Kind("dsync.provisioning.result", "provisioning.updated", "/dsync/provisioner", "SYSTEM", "provisioner", "user", "u", 200_000, 0, "FAILURE", 13),
      new Kind("dsync.provisioning.result", "provisioning.failed", "/dsync/provisioner", "SYSTEM", "provisioner", "user", "u", 200_000, 1, "FAILURE", 1),
      new Kind("dsync.webhook.attempt", "webhook.attempt", "/dsync/webhook-dispatcher", "SYSTEM", "webhook-dispatcher", "message", "m", 1_000_000_000, 0.03, "FAILURE", 23),
      new Kind("dsync.source.sync_job.completed", "source.sync_job.completed", "/dsync/ingest-poller", "SYSTEM", "ingest-poller", "sync_job", "j", 100_000, 0, "FAILURE", 1),
      new Kind("dsync.audit.record", "rule.updated", "/dsync/reconciler", "ADMIN", null, "rule", "r", 500, 0.05, "DENIED", 2),
      new Kind("dsync.audit.record", "scim_token.rotated", "/dsync/ingest-scim", "ADMIN", null, "scim_token", "t", 200, 0.05, "DENIED", 1));

  private static final int DIRECTORIES = 20;
  private static final int ADMINS = 40;

  /**
   * Rows of one batch: kind by weight, directory skewed (a few large directories), entity skewed
   * (some users change often), occurredAt spread evenly over the year before the ingest.
   */
  private static final String SEED = """
      with p as (
        select ?::text[] as type, ?::text[] as action, ?::text[] as source, ?::text[] as actor_kind,
               ?::text[] as service, ?::text[] as entity_type, ?::text[] as entity_prefix, ?::int[] as entity_space,
               ?::float8[] as fail_rate, ?::text[] as fail_outcome, ?::int[] as pick, ?::text[] as dir, ?::text[] as token,
               ?::text as tenant, ?::bigint as base, ?::timestamptz as t0, ?::float8 as step_ms, ?::bigint as lo, ?::bigint as hi),
      s as (
        select g, p.pick[1 + floor(random() * 100)::int] as k,
               1 + floor(power(random(), 2) * array_length(p.dir, 1))::int as d,
               random() as r, 1 + floor(random() * %d)::int as a,
               p.t0 + (g * p.step_ms) * interval '1 millisecond' + random() * interval '1 second' as at
        from p, generate_series(p.lo, p.hi) g)
      insert into audit.audit_record (tenant_id, seq, event_id, event_type, source, directory_id, occurred_at,
        recorded_at, actor_kind, actor_id, action, entity_type, entity_id, outcome, job_id, trace_id, data, prev_hash, hash)
      select p.tenant, p.base + s.g, gen_random_uuid(), p.type[s.k], p.source[s.k], p.dir[s.d], s.at,
             s.at + interval '150 milliseconds', p.actor_kind[s.k],
             case p.actor_kind[s.k] when 'ADMIN' then 'admin-' || s.a || '@customer.example'
                                    when 'SCIM_TOKEN' then p.token[s.d] else p.service[s.k] end,
             p.action[s.k], p.entity_type[s.k], e.id,
             case when random() < p.fail_rate[s.k] then p.fail_outcome[s.k] else 'SUCCESS' end,
             case when p.entity_type[s.k] = 'sync_job' then e.id end,
             lpad(to_hex(p.base + s.g), 32, '0'),
             jsonb_build_object('resourceId', e.id, 'directoryId', p.dir[s.d], 'sourceVersion', s.g,
                                'changedAttributes', jsonb_build_array('title', 'department')),
             h.prev || h.prev, h.cur || h.cur
      from p, s,
           lateral (select md5(p.entity_prefix[s.k] || floor(power(s.r, 3) * p.entity_space[s.k])::bigint)::uuid::text as id) e,
           lateral (select md5(p.tenant || (p.base + s.g - 1)) as prev, md5(p.tenant || (p.base + s.g)) as cur) h
      """.formatted(ADMINS);

  private void seed(long rows, int threads, boolean keepIndexes) throws Exception {
    long head;
    long existing;
    try (Connection db = db(); Statement st = db.createStatement()) {
      head = single(db, "select seq from audit.chain_head where tenant_id = ?", tenant);
      existing = head;
    }
    long count = rows - existing;
    facts.put("seedTenant", tenant);
    if (count <= 0) {
      facts.put("seededRows", 0);
      return;
    }
    String[] dirs = new String[DIRECTORIES];
    String[] tokens = new String[DIRECTORIES];
    for (int i = 0; i < DIRECTORIES; i++) {
      dirs[i] = UUID.nameUUIDFromBytes(("dir" + i).getBytes(StandardCharsets.UTF_8)).toString();
      tokens[i] = UUID.nameUUIDFromBytes(("token" + i).getBytes(StandardCharsets.UTF_8)).toString();
    }
    Integer[] pick = new Integer[100];
    int at = 0;
    for (int k = 0; k < KINDS.size(); k++) {
      for (int w = 0; w < KINDS.get(k).weight(); w++) {
        pick[at++] = k + 1;
      }
    }
    if (at != 100) {
      throw new IllegalStateException("seed weights sum to " + at + ", not 100");
    }
    // A year of history that ends an hour before the ingested records.
    Instant t0 = Instant.now().minus(366, ChronoUnit.DAYS);
    double stepMs = Duration.ofDays(365).toMillis() / (double) count;

    List<String[]> indexes = new ArrayList<>();
    long start = System.nanoTime();
    try (Connection db = db(); Statement st = db.createStatement()) {
      if (!keepIndexes) {
        try (ResultSet rs = st.executeQuery(
            "select i.relname, pg_get_indexdef(i.oid) from pg_index x join pg_class i on i.oid = x.indexrelid"
                + " where x.indrelid = 'audit.audit_record'::regclass and not x.indisprimary order by i.relname")) {
          while (rs.next()) {
            indexes.add(new String[] {rs.getString(1), rs.getString(2)});
          }
        }
        for (String[] index : indexes) {
          st.execute("drop index audit." + index[0]);
        }
        System.out.printf("seed: dropped %d secondary indexes for the load (rebuilt after it)%n", indexes.size());
      }
    }
    double insertSeconds;
    double indexSeconds = 0;
    try {
      long batch = 250_000;
      AtomicLong next = new AtomicLong(1);
      AtomicLong inserted = new AtomicLong();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        work.add(pool.submit(() -> {
          try (Connection db = db(); PreparedStatement ps = db.prepareStatement(SEED)) {
            db.createStatement().execute("set synchronous_commit = off");
            int i = 0;
            ps.setArray(++i, db.createArrayOf("text", KINDS.stream().map(Kind::type).toArray()));
            ps.setArray(++i, db.createArrayOf("text", KINDS.stream().map(Kind::action).toArray()));
            ps.setArray(++i, db.createArrayOf("text", KINDS.stream().map(Kind::source).toArray()));
            ps.setArray(++i, db.createArrayOf("text", KINDS.stream().map(Kind::actorKind).toArray()));
            ps.setArray(++i, db.createArrayOf("text", KINDS.stream().map(Kind::service).toArray()));
            ps.setArray(++i, db.createArrayOf("text", KINDS.stream().map(Kind::entityType).toArray()));
            ps.setArray(++i, db.createArrayOf("text", KINDS.stream().map(Kind::entityPrefix).toArray()));
            ps.setArray(++i, db.createArrayOf("int4", KINDS.stream().map(Kind::entitySpace).toArray()));
            ps.setArray(++i, db.createArrayOf("float8", KINDS.stream().map(Kind::failRate).toArray()));
            ps.setArray(++i, db.createArrayOf("text", KINDS.stream().map(Kind::failOutcome).toArray()));
            ps.setArray(++i, db.createArrayOf("int4", pick));
            ps.setArray(++i, db.createArrayOf("text", dirs));
            ps.setArray(++i, db.createArrayOf("text", tokens));
            ps.setString(++i, tenant);
            ps.setLong(++i, head);
            ps.setTimestamp(++i, Timestamp.from(t0));
            ps.setDouble(++i, stepMs);
            int loAt = ++i;
            int hiAt = ++i;
            long lo;
            while ((lo = next.getAndAdd(batch)) <= count) {
              long hi = Math.min(count, lo + batch - 1);
              ps.setLong(loAt, lo);
              ps.setLong(hiAt, hi);
              ps.executeUpdate();
              long sofar = inserted.addAndGet(hi - lo + 1);
              System.out.printf(Locale.ROOT, "  ... seeded %d of %d rows after %.0f s%n", sofar, count, (System.nanoTime() - start) / 1e9);
            }
          }
          return null;
        }));
      }
      pool.shutdown();
      for (Future<?> f : work) {
        f.get();
      }
      insertSeconds = (System.nanoTime() - start) / 1e9;
    } finally {
      if (!indexes.isEmpty()) {
        long t = System.nanoTime();
        rebuild(indexes, threads);
        indexSeconds = (System.nanoTime() - t) / 1e9;
      }
    }
    long t = System.nanoTime();
    try (Connection db = db(); Statement st = db.createStatement()) {
      // The head follows the seeded rows, so a later append to this tenant would not collide.
      try (PreparedStatement ps = db.prepareStatement(
          "update audit.chain_head h set seq = r.seq, hash = r.hash, recorded_at = r.recorded_at"
              + " from audit.audit_record r where h.tenant_id = ? and r.tenant_id = h.tenant_id and r.seq = ?")) {
        ps.setString(1, tenant);
        ps.setLong(2, head + count);
        ps.executeUpdate();
      }
      st.execute("vacuum (analyze) audit.audit_record");
    }
    double vacuumSeconds = (System.nanoTime() - t) / 1e9;
    try (Connection db = db()) {
      facts.put("tableMib", single(db, "select pg_total_relation_size('audit.audit_record')", null) / 1048576.0);
      facts.put("tenantRows", single(db, "select seq from audit.chain_head where tenant_id = ?", tenant));
      facts.put("tableRows", single(db, "select reltuples::bigint from pg_class where oid = 'audit.audit_record'::regclass", null));
    }
    facts.put("seededRows", count);
    facts.put("seedInsertSeconds", insertSeconds);
    facts.put("seedIndexSeconds", indexSeconds);
    facts.put("seedVacuumAnalyzeSeconds", vacuumSeconds);
    facts.put("seedIndexesRebuilt", !keepIndexes);
    System.out.printf(Locale.ROOT, "seed: %d rows inserted in %.1f s (%.0f rows/s), indexes rebuilt in %.1f s, VACUUM ANALYZE %.1f s%n",
        count, insertSeconds, count / insertSeconds, indexSeconds, vacuumSeconds);
  }

  /** Recreates the dropped indexes from their own definitions, a few at a time. */
  private void rebuild(List<String[]> indexes, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
    List<Future<?>> work = new ArrayList<>();
    for (String[] index : indexes) {
      work.add(pool.submit(() -> {
        long t = System.nanoTime();
        try (Connection db = db(); Statement st = db.createStatement()) {
          st.execute("set maintenance_work_mem = '1GB'");
          st.execute(index[1]);
        }
        System.out.printf(Locale.ROOT, "  ... index %s in %.1f s%n", index[0], (System.nanoTime() - t) / 1e9);
        return null;
      }));
    }
    pool.shutdown();
    for (Future<?> f : work) {
      f.get();
    }
  }

  // ---------------------------------------------------------------------------------- query

  private void query(int perFilter) throws Exception {
    List<String> directories = new ArrayList<>();
    List<String> actors = new ArrayList<>();
    List<String> admins = new ArrayList<>();
    List<String> actions = new ArrayList<>();
    List<String> entities = new ArrayList<>();
    long head;
    Instant newest;
    Instant oldest;
    try (Connection db = db()) {
      // A sample of rows, so filter values come as often as they occur in the trail.
      try (PreparedStatement ps = db.prepareStatement(
          "select directory_id, actor_id, actor_kind, action, entity_id from audit.audit_record tablesample system (0.2)"
              + " where tenant_id = ? limit 5000")) {
        ps.setString(1, tenant);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            addIfPresent(directories, rs.getString(1));
            addIfPresent(actors, rs.getString(2));
            if ("ADMIN".equals(rs.getString(3))) {
              addIfPresent(admins, rs.getString(2));
            }
            addIfPresent(actions, rs.getString(4));
            addIfPresent(entities, rs.getString(5));
          }
        }
      }
      head = single(db, "select seq from audit.chain_head where tenant_id = ?", tenant);
      newest = timeAt(db, "select max(occurred_at) from audit.audit_record where tenant_id = ?");
      oldest = timeAt(db, "select min(occurred_at) from audit.audit_record where tenant_id = ?");
    }
    if (admins.isEmpty()) {
      admins.addAll(actors);
    }
    Random random = new Random(42);
    long spanSeconds = Math.max(1, Duration.between(oldest, newest).getSeconds());
    Map<String, Supplier<String>> filters = new LinkedHashMap<>();
    filters.put("no filter (newest first)", () -> "");
    filters.put("directoryId", () -> "directoryId=" + enc(pickFrom(directories, random)));
    filters.put("actor (as often as it acts)", () -> "actor=" + enc(pickFrom(actors, random)));
    filters.put("actor (an administrator)", () -> "actor=" + enc(pickFrom(admins, random)));
    filters.put("action", () -> "action=" + enc(pickFrom(actions, random)));
    filters.put("entityId", () -> "entityId=" + enc(pickFrom(entities, random)));
    filters.put("from/to (one day)", () -> {
      Instant from = oldest.plusSeconds((long) (random.nextDouble() * Math.max(1, spanSeconds - 86_400)));
      return "from=" + enc(from.toString()) + "&to=" + enc(from.plus(1, ChronoUnit.DAYS).toString());
    });
    filters.put("outcome=FAILURE", () -> "outcome=FAILURE");
    filters.put("directoryId + action", () -> "directoryId=" + enc(pickFrom(directories, random)) + "&action=" + enc(pickFrom(actions, random)));
    // Warm-up, not counted: every filter's path through the JIT, the connection pool and the
    // indexes' upper levels, so the first filter measured is not the one that pays for it.
    for (int i = 0; i < 20; i++) {
      for (Supplier<String> f : filters.values()) {
        page(f.get(), null);
      }
    }
    for (Map.Entry<String, Supplier<String>> f : filters.entrySet()) {
      Latencies l = new Latencies();
      long rowsSeen = 0;
      for (int i = 0; i < perFilter; i++) {
        rowsSeen += timedPage(l, f.getValue().get(), null);
      }
      record(f.getKey(), l, rowsSeen);
    }
    // Pages 2..20 of a directory's records by following nextCursor.
    Latencies following = new Latencies();
    long rowsSeen = 0;
    while (following.count() + following.errors() < perFilter) {
      String filter = filters.get("directoryId").get();
      JsonNode page = page(filter, null);
      for (int p = 2; p <= 20 && page != null && page.hasNonNull("nextCursor"); p++) {
        long t0 = System.nanoTime();
        HttpResponse<String> r = get("/api/v1/audit/records?" + filter + "&limit=" + PAGE + "&cursor=" + enc(page.get("nextCursor").asText()));
        if (r.statusCode() != 200) {
          following.error();
          break;
        }
        following.add((System.nanoTime() - t0) / 1000);
        page = JSON.readTree(r.body());
        rowsSeen += page.path("items").size();
      }
    }
    record("directoryId, pages 2-20 by nextCursor", following, rowsSeen);
    // A page that starts in the middle of the tenant's records: keyset, so as cheap as the first.
    Latencies deep = new Latencies();
    Latencies deepDirectory = new Latencies();
    long deepRows = 0;
    long deepDirRows = 0;
    try (Connection db = db();
        PreparedStatement ps = db.prepareStatement("select occurred_at from audit.audit_record where tenant_id = ? and seq = ?")) {
      for (int i = 0; i < perFilter; i++) {
        long seq = head - (long) (random.nextDouble() * head * 0.9) - 1;
        ps.setString(1, tenant);
        ps.setLong(2, seq);
        Instant at;
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            continue;
          }
          at = rs.getTimestamp(1).toInstant();
        }
        String cursor = cursor(at, seq);
        deepRows += timedPage(deep, "", cursor);
        deepDirRows += timedPage(deepDirectory, filters.get("directoryId").get(), cursor);
      }
    }
    record("cursor deep in the trail (no filter)", deep, deepRows);
    record("cursor deep in the trail + directoryId", deepDirectory, deepDirRows);
    facts.put("rssMibAfterQueries", rss());
  }

  private void record(String name, Latencies l, long rowsSeen) {
    QueryResult q = new QueryResult(name, l.count(), l.errors(), l.percentileMillis(50), l.percentileMillis(99),
        l.percentileMillis(100), l.count() == 0 ? 0 : rowsSeen / (double) l.count());
    queries.add(q);
    System.out.printf(Locale.ROOT, "query %-42s p50 %7.1f ms  p99 %7.1f ms  (%d pages, %d errors)%n", name, q.p50(), q.p99(), q.samples(), q.errors());
  }

  /** The service's cursor form (v1:occurredAt micros:position, base64url): the bench knows it, clients need not. */
  private static String cursor(Instant at, long seq) {
    long micros = at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("v1:" + micros + ":" + seq).getBytes(StandardCharsets.UTF_8));
  }

  private int timedPage(Latencies l, String filter, String cursor) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r = get(pagePath(filter, cursor));
    long micros = (System.nanoTime() - t0) / 1000;
    if (r.statusCode() != 200) {
      l.error();
      System.out.println("  ! " + r.statusCode() + " for " + pagePath(filter, cursor) + ": " + r.body());
      return 0;
    }
    l.add(micros);
    return JSON.readTree(r.body()).path("items").size();
  }

  private JsonNode page(String filter, String cursor) throws Exception {
    HttpResponse<String> r = get(pagePath(filter, cursor));
    return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
  }

  private static String pagePath(String filter, String cursor) {
    StringBuilder path = new StringBuilder("/api/v1/audit/records?limit=").append(PAGE);
    if (!filter.isEmpty()) {
      path.append('&').append(filter);
    }
    if (cursor != null) {
      path.append("&cursor=").append(enc(cursor));
    }
    return path.toString();
  }

  // ---------------------------------------------------------------------------------- helpers

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(env.auditUrl() + path))
        .header("Authorization", "Bearer " + env.adminToken()).timeout(Duration.ofMinutes(5)).GET().build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private Connection db() throws SQLException {
    return DriverManager.getConnection(env.jdbcUrl(), env.dbUser(), env.dbPassword());
  }

  private static long single(Connection db, String sql, String param) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement(sql)) {
      if (param != null) {
        ps.setString(1, param);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  private Instant timeAt(Connection db, String sql) throws SQLException {
    try (PreparedStatement ps = db.prepareStatement(sql)) {
      ps.setString(1, tenant);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getTimestamp(1).toInstant();
      }
    }
  }

  private static void addIfPresent(List<String> list, String value) {
    if (value != null) {
      list.add(value);
    }
  }

  private static String pickFrom(List<String> values, Random random) {
    return values.get(random.nextInt(values.size()));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String sample(EventType type) {
    try (InputStream in = EventType.class.getClassLoader().getResourceAsStream(type.sampleResource())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("no golden sample for " + type, e);
    }
  }

  private static void header(ProducerRecord<String, String> record, String name, String value) {
    record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  /** The 1-minute load average: the machine is shared, so a rate means little without it. */
  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** PostgreSQL's postmaster (its backends descend from it, not from the devstack JVM), or -1. */
  private long postmaster() {
    try {
      return Long.parseLong(Files.readAllLines(env.home().resolve("devstack/data/postgres/postmaster.pid")).get(0).trim());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private double rss() {
    try {
      return Processes.rssMib(env.pid(SERVICE));
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static String tenantOf(String jwt) throws IOException {
    String[] parts = jwt.split("\\.");
    return JSON.readTree(Base64.getUrlDecoder().decode(parts[1])).get("tenant").asText();
  }

  private void print() {
    System.out.printf(Locale.ROOT, "%nAudit benchmark, %s, %d cores (audit-service alone beside Kafka and PostgreSQL)%n",
        Instant.now(), Runtime.getRuntime().availableProcessors());
    System.out.println("| measure | value | target |");
    System.out.println("|---|---|---|");
    System.out.printf(Locale.ROOT, "| ingest: %s CloudEvents over 5 topics, %s tenants, publish to last chain head | %.1f s | |%n",
        facts.get("events"), facts.get("tenants"), (double) facts.get("ingestSeconds"));
    System.out.printf(Locale.ROOT, "| ingest rate | %.0f records/s | >= 10,000 |%n", (double) facts.get("ingestRecordsPerSecond"));
    System.out.printf(Locale.ROOT, "| CPU during ingest: audit-service / Kafka (devstack JVM) / PostgreSQL | %.1f s / %.1f s / %.1f s | |%n",
        (double) facts.get("ingestServiceCpuSeconds"), (double) facts.get("ingestKafkaCpuSeconds"), (double) facts.get("ingestPostgresCpuSeconds"));
    System.out.printf(Locale.ROOT, "| machine load average (1 min) before / after ingest, %d cores | %.1f / %.1f | |%n",
        Runtime.getRuntime().availableProcessors(), (double) facts.get("loadAverageBeforeIngest"), (double) facts.get("loadAverageAfterIngest"));
    System.out.printf(Locale.ROOT, "| chain of %s after ingest | valid=%s, %s of %s records | valid |%n",
        tenant, facts.get("ingestChainValid"), facts.get("ingestChainCheckedRecords"), facts.get("ingestChainExpectedRecords"));
    if (facts.containsKey("seedInsertSeconds")) {
      System.out.printf(Locale.ROOT, "| seed by SQL: %s rows (placeholder hashes: that part of the chain does not verify) | insert %.1f s, indexes %.1f s, VACUUM ANALYZE %.1f s | |%n",
          facts.get("seededRows"), (double) facts.get("seedInsertSeconds"), (double) facts.get("seedIndexSeconds"), (double) facts.get("seedVacuumAnalyzeSeconds"));
      System.out.printf(Locale.ROOT, "| rows in the queried tenant / in the table | %s / %s (%.0f MiB with indexes) | 10,000,000 |%n",
          facts.get("tenantRows"), facts.get("tableRows"), (double) facts.get("tableMib"));
    }
    System.out.printf(Locale.ROOT, "| audit-service RSS after ingest / after queries | %.0f / %.0f MiB | |%n",
        (double) facts.get("rssMibAfterIngest"), (double) facts.get("rssMibAfterQueries"));
    System.out.printf(Locale.ROOT, "%nPages of %d through GET /api/v1/audit/records, measured at the client, one request at a time (target p99 < 100 ms):%n", PAGE);
    System.out.printf(Locale.ROOT, "| %-42s | %6s | %6s | %8s | %8s | %8s | %9s |%n", "filter", "pages", "errors", "p50 ms", "p99 ms", "max ms", "rows/page");
    System.out.println("|--------------------------------------------|--------|--------|----------|----------|----------|-----------|");
    for (QueryResult q : queries) {
      System.out.printf(Locale.ROOT, "| %-42s | %6d | %6d | %8.1f | %8.1f | %8.1f | %9.1f |%n",
          q.name(), q.samples(), q.errors(), q.p50(), q.p99(), q.max(), q.meanRows());
    }
    System.out.println();
  }

  private void write() throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("at", Instant.now().toString());
    out.put("cores", Runtime.getRuntime().availableProcessors());
    facts.forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
    ArrayNode arr = out.putArray("queries");
    queries.forEach(q -> arr.add(JSON.valueToTree(q)));
    Path file = env.out().resolve("audit-bench.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    System.out.println("wrote " + file);
  }
}
