package dev.dsync.bench.reconciler;

import dev.dsync.bench.BenchEnv;
import dev.dsync.bench.Latencies;
import dev.dsync.bench.Processes;
import dev.dsync.events.Actor;
import dev.dsync.events.EventJson;
import dev.dsync.events.EventType;
import dev.dsync.events.TimeOrderedIds;
import dev.dsync.events.source.GroupMembershipChanged;
import dev.dsync.events.source.GroupUpserted;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.SyncJobCompleted;
import dev.dsync.events.source.SyncJobStarted;
import dev.dsync.events.source.SyncMode;
import dev.dsync.events.source.UserUpserted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Load on a running reconciler (bin/dsync bench reconciler): publishes source changes straight to
 * dsync.source.changes as ingest-scim and ingest-poller do (binary CloudEvents, key directoryId) and
 * reads dsync.identity.events.
 *
 * <ol>
 *   <li>Full sync: a fresh directory's first COMPLETE job (started, users, groups, one membership
 *       delta per group, completed), as ingest-poller sends it. Measures source changes/s from the
 *       first publish to the last identity event published, and the reconciler's heap and RSS. It
 *       is the first after the reconciler started: the JIT is still compiling what a sync runs (C2
 *       alone takes ~6 s of the reconciler's CPU in it), so it is reported without a target.
 *   <li>Push latency: new users pushed (no job) at a steady rate; p50/p99 from a source event's
 *       publish to its dsync.user.created's publish (the record's CreateTime, set by the outbox relay).
 *   <li>Warm full syncs ({@code DSYNC_BENCH_WARM_SYNCS}, 3): the same for other fresh directories,
 *       one after another. They are what every later sync of a long-running reconciler sees (JIT
 *       done, tables holding the earlier syncs' rows); the target is on their median, and the
 *       slowest and fastest are printed beside it.
 * </ol>
 *
 * <p>Usage: {@code bin/dsync bench reconciler [users=100000] [groups=2000] [push rate/s=500]
 * [push seconds=30] [timeout seconds=1800]}. Prints a table, writes reconciler-bench.json.
 * {@code DSYNC_BENCH_WARMUP_USERS} (2,000) sizes the unmeasured warm-up sync.
 */
public final class ReconcilerBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SOURCE_TOPIC = "dsync.source.changes";
  private static final String IDENTITY_TOPIC = "dsync.identity.events";
  private static final Actor ACTOR = new Actor(Actor.Kind.SYSTEM, "bench", null);

  private final BenchEnv env;
  private final String tenant;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final KafkaProducer<String, String> producer;
  private final MemorySampler memory;

  private ReconcilerBench(BenchEnv env) throws IOException {
    this.env = env;
    this.tenant = tenantOf(env.adminToken());
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.kafkaBootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    // As the ingest services publish (their outbox relay compresses with lz4): the broker stores and
    // serves what a real ingest sends, and the reconciler decompresses what it would in production.
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    memory = new MemorySampler(env.pid("reconciler"), env.reconcilerUrl(), http);
  }

  /** A fresh directory's first COMPLETE sync as ingest-poller sends it: started, users, groups, one membership delta per group, completed. */
  private void publishFullSync(String dir, String job, String prefix, int users, int groups) {
    long version = 1;
    send(dir, EventType.SOURCE_SYNC_JOB_STARTED, new SyncJobStarted(job, dir, SyncMode.COMPLETE, Instant.now()));
    for (int i = 0; i < users; i++) {
      send(dir, EventType.SOURCE_USER_UPSERTED, new UserUpserted(prefix + "u" + i, "ext-" + prefix + "u" + i, version, Instant.now(), user(prefix + "u" + i, dir), List.of(), ACTOR, job));
    }
    for (int g = 0; g < groups; g++) {
      send(dir, EventType.SOURCE_GROUP_UPSERTED, new GroupUpserted(prefix + "g" + g, "ext-" + prefix + "g" + g, version, Instant.now(), group(prefix + "g" + g), List.of("displayName"), ACTOR, job));
    }
    for (int g = 0; g < groups; g++) {
      List<MemberRef> members = new ArrayList<>();
      for (int i = g; i < users; i += groups) {
        members.add(new MemberRef(prefix + "u" + i, "User"));
      }
      send(dir, EventType.SOURCE_GROUP_MEMBERSHIP_CHANGED, new GroupMembershipChanged(prefix + "g" + g, version, Instant.now(), members, List.of(), false, ACTOR, job));
    }
    send(dir, EventType.SOURCE_SYNC_JOB_COMPLETED, new SyncJobCompleted(job, dir, SyncMode.COMPLETE, Instant.now(), Map.of("users", (long) users, "groups", (long) groups)));
    producer.flush();
  }

  /** New users pushed (no job) at a steady rate; each one's publish time goes into {@code sentMicros}. */
  private void pushUsers(String dir, String prefix, int rate, int n, Map<String, Long> sentMicros) {
    long start = System.nanoTime();
    long intervalNanos = 1_000_000_000L / rate;
    for (int i = 0; i < n; i++) {
      long due = start + i * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      sentMicros.put(prefix + "p" + i + "@" + dir, nowMicros());
      producer.send(record(dir, EventType.SOURCE_USER_UPSERTED,
          new UserUpserted(prefix + "p" + i, "ext-" + prefix + "p" + i, 1, Instant.now(), user(prefix + "p" + i, dir), List.of(), ACTOR, null)));
    }
    producer.flush();
  }

  private static void awaitEvents(IdentityReader reader, String dir, long expected, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (reader.count(dir) < expected) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("warm-up timed out: " + reader.count(dir) + " of " + expected + " identity events");
      }
      LockSupport.parkNanos(50_000_000L);
    }
  }

  /** CPU seconds used so far by the reconciler, devstack (Kafka) and PostgreSQL (with its backends). */
  private Map<String, Double> cpu() {
    Map<String, Double> cpu = new LinkedHashMap<>();
    for (String p : List.of("reconciler", "devstack")) {
      try {
        cpu.put(p, Processes.cpuSeconds(env.pid(p)));
      } catch (IOException | RuntimeException e) {
        cpu.put(p, 0.0);
      }
    }
    try {
      String postmaster = java.nio.file.Files.readAllLines(env.home().resolve("devstack/data/postgres/postmaster.pid")).get(0).trim();
      cpu.put("postgresql", Processes.cpuSeconds(Long.parseLong(postmaster)));
    } catch (IOException | RuntimeException e) {
      cpu.put("postgresql", 0.0);
    }
    return cpu;
  }

  /** CPU seconds the reconciler's JIT compiler threads (C1 and C2) have used, or -1. */
  private double jitCpu() {
    try {
      long pid = env.pid("reconciler");
      double c1 = Processes.threadCpuSeconds(pid, "C1 CompilerThre");
      double c2 = Processes.threadCpuSeconds(pid, "C2 CompilerThre");
      return c1 < 0 || c2 < 0 ? -1 : c1 + c2;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Users of the unmeasured warm-up sync (DSYNC_BENCH_WARMUP_USERS). */
  private static final int WARMUP_USERS = Integer.parseInt(System.getenv().getOrDefault("DSYNC_BENCH_WARMUP_USERS", "2000"));

  /** Full syncs measured on the warm JVM after the push phase (DSYNC_BENCH_WARM_SYNCS), at least one. */
  private static final int WARM_SYNCS = Math.max(1, Integer.parseInt(System.getenv().getOrDefault("DSYNC_BENCH_WARM_SYNCS", "3")));

  /**
   * With DSYNC_BENCH_PG_STATEMENTS=N (and PostgreSQL started with
   * DSYNC_PG_SETTINGS=shared_preload_libraries=pg_stat_statements), the full sync's N most
   * expensive statements are printed: where PostgreSQL's share of the time went, this phase only.
   */
  private static final int STATEMENTS = Integer.parseInt(System.getenv().getOrDefault("DSYNC_BENCH_PG_STATEMENTS", "0"));

  private void statementsReset() {
    if (STATEMENTS <= 0) {
      return;
    }
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(env.jdbcUrl(), env.dbUser(), env.dbPassword());
        java.sql.Statement st = c.createStatement()) {
      st.execute("create extension if not exists pg_stat_statements");
      st.execute("select pg_stat_statements_reset()");
    } catch (java.sql.SQLException e) {
      System.out.println("pg_stat_statements unavailable (DSYNC_PG_SETTINGS=shared_preload_libraries=pg_stat_statements): " + e.getMessage());
    }
  }

  private void statementsPrint() {
    if (STATEMENTS <= 0) {
      return;
    }
    String sql = "select total_exec_time, calls, rows, shared_blks_read, wal_records, left(regexp_replace(query, '\\s+', ' ', 'g'), 100)"
        + " from pg_stat_statements order by total_exec_time desc limit " + STATEMENTS;
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(env.jdbcUrl(), env.dbUser(), env.dbPassword());
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery(sql)) {
      System.out.println("full sync, PostgreSQL statements by total time:");
      System.out.printf(Locale.ROOT, "| %9s | %7s | %8s | %9s | %9s | %s%n", "total ms", "calls", "rows", "blks read", "wal recs", "statement");
      while (rs.next()) {
        System.out.printf(Locale.ROOT, "| %9.0f | %7d | %8d | %9d | %9d | %s%n", rs.getDouble(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getString(6));
      }
    } catch (java.sql.SQLException e) {
      System.out.println("pg_stat_statements unavailable: " + e.getMessage());
    }
  }

  /** One measured line of the table. */
  record Result(String scenario, String metric, double value, String unit, String target, boolean met) {}

  public static void run(BenchEnv env, String[] args) throws Exception {
    int users = arg(args, 0, 100_000);
    int groups = arg(args, 1, 2_000);
    int rate = arg(args, 2, 500);
    int pushSeconds = arg(args, 3, 30);
    int timeout = arg(args, 4, 1800);
    ReconcilerBench bench = new ReconcilerBench(env);
    try {
      bench.run(users, groups, rate, pushSeconds, Duration.ofSeconds(timeout));
    } finally {
      bench.producer.close();
      bench.memory.stop();
    }
  }

  private void run(int users, int groups, int rate, int pushSeconds, Duration timeout) throws Exception {
    List<Result> results = new ArrayList<>();
    Map<String, Object> facts = new LinkedHashMap<>();
    memory.start();
    try (IdentityReader reader = new IdentityReader(env.kafkaBootstrap())) {
      reader.start();

      // ---- warm-up (not measured): a small full sync and a few seconds of pushes, so the
      // measured phases see started services and a compiled JIT, as a long-running reconciler is.
      String warm = "bench-warmup-" + UUID.randomUUID().toString().substring(0, 8);
      int warmUsers = Math.min(users, WARMUP_USERS);
      int warmGroups = Math.max(1, Math.min(groups, Math.max(20, WARMUP_USERS / 50)));
      reader.expect(warm, warmUsers + warmGroups + warmUsers);
      System.out.printf(Locale.ROOT, "warm-up: directory %s, %d users, %d groups, then %d pushes%n", warm, warmUsers, warmGroups, 5 * rate);
      publishFullSync(warm, UUID.randomUUID().toString(), "w", warmUsers, warmGroups);
      awaitEvents(reader, warm, warmUsers + warmGroups + warmUsers, timeout);
      String warmPush = warm + "-push";
      reader.expect(warmPush, 5 * rate);
      pushUsers(warmPush, "w", rate, 5 * rate, new java.util.concurrent.ConcurrentHashMap<>());
      awaitEvents(reader, warmPush, 5 * rate, timeout);
      System.out.println("warm-up done");

      // ---- full sync of a fresh directory, the first after the reconciler started (its JIT still
      // compiling the code a sync runs); the warm ones follow the push phase.
      fullSync(0, users, groups, reader, timeout, results, facts);

      // ---- push latency at a steady rate
      String push = "bench-push-" + UUID.randomUUID().toString().substring(0, 8);
      int n = rate * pushSeconds;
      reader.expect(push, n);
      Map<String, Long> sentMicros = reader.sent;
      System.out.printf(Locale.ROOT, "push: directory %s, %d new users at %d/s%n", push, n, rate);
      Map<String, Double> pushCpuBefore = cpu();
      pushCpuBefore.put("load generator", Processes.cpuSeconds(ProcessHandle.current().pid()));
      long start = System.nanoTime();
      pushUsers(push, "", rate, n, sentMicros);
      double pushActual = n / ((System.nanoTime() - start) / 1e9);
      long pushDeadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (reader.count(push) < n && System.nanoTime() < pushDeadline) {
        LockSupport.parkNanos(50_000_000L);
      }
      Map<String, Double> pushCpuAfter = cpu();
      pushCpuAfter.put("load generator", Processes.cpuSeconds(ProcessHandle.current().pid()));
      Latencies lat = reader.latencies;
      Latencies received = reader.receivedLatencies;
      facts.put("push", Map.of("directory", push, "events", n, "rate", rate, "actualRate", pushActual, "identityEvents", reader.count(push)));
      double p50 = lat.percentileMillis(50);
      double p99 = lat.percentileMillis(99);
      long first = reader.windows.isEmpty() ? 0 : reader.windows.keySet().iterator().next();
      reader.windows.forEach((w, l) -> System.out.printf(Locale.ROOT, "push %3d-%3d s: p50 %5.1f ms, p99 %6.1f ms, max %6.1f ms (%d)%n",
          (w - first) * 5, (w - first + 1) * 5, l.percentileMillis(50), l.percentileMillis(99), l.percentileMillis(100), l.count()));
      results.add(new Result("push " + rate + "/s (" + lat.count() + "/" + n + " seen)", "p50 source published -> identity published", p50, "ms", "", true));
      results.add(new Result("push " + rate + "/s", "p99 source published -> identity published", p99, "ms", "< 100", p99 < 100 && lat.count() == n));
      results.add(new Result("push " + rate + "/s", "max source published -> identity published", lat.percentileMillis(100), "ms", "", true));
      results.add(new Result("push " + rate + "/s", "p99 source published -> identity received by a consumer", received.percentileMillis(99), "ms", "", true));
      // A pushed change arrives in a small batch of its own, so it costs several times a sync's
      // change: this is what decides how close a push is to filling the machine.
      for (String p : pushCpuAfter.keySet()) {
        double used = pushCpuAfter.get(p) - pushCpuBefore.getOrDefault(p, 0.0);
        results.add(new Result("push " + rate + "/s", "CPU ms per pushed change: " + p, 1000 * used / n, "ms", "", true));
      }

      // ---- full syncs of other fresh directories on the warm JVM: what every later sync of a
      // long-running reconciler sees (its JIT done, its tables holding the earlier syncs' rows).
      // After the push phase, so that the push is measured as it always was, after one sync. One
      // sync's rate moves with the host's speed by a quarter or more; the target is on the median.
      List<Double> warmRates = new ArrayList<>();
      for (int i = 1; i <= WARM_SYNCS; i++) {
        warmRates.add(fullSync(i, users, groups, reader, timeout, results, facts));
      }
      List<Double> sorted = warmRates.stream().sorted().toList();
      double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
          : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
      String warmScenario = "warm full syncs (" + WARM_SYNCS + ", " + users + " users each)";
      results.add(new Result(warmScenario, "source changes/s end to end, median", median, "1/s", ">= 5000", median >= 5000));
      results.add(new Result(warmScenario, "source changes/s end to end, slowest", sorted.get(0), "1/s", "", true));
      results.add(new Result(warmScenario, "source changes/s end to end, fastest", sorted.get(sorted.size() - 1), "1/s", "", true));
    } finally {
      memory.stop();
    }
    results.add(new Result("whole run", "reconciler heap used, max sampled", memory.maxHeap(), "MiB", "< 512", memory.maxHeap() >= 0 && memory.maxHeap() < 512));
    results.add(new Result("whole run", "reconciler heap committed, max sampled", memory.maxHeapCommitted(), "MiB", "", true));
    results.add(new Result("whole run", "reconciler RSS, max sampled", memory.maxRss(), "MiB", "", true));
    print(results);
    write(results, facts);
  }

  /**
   * One measured full sync of a fresh directory: {@code index} 0 is the first after start, 1.. the
   * warm ones. The first and the last warm one print every figure, the others their rate and phases.
   * Returns its source changes/s end to end.
   */
  private double fullSync(int index, int users, int groups, IdentityReader reader, Duration timeout,
      List<Result> results, Map<String, Object> facts) throws Exception {
    String row = index == 0 ? "full sync" : "warm sync " + index;
    String scenario = index == 0 ? row + " " + users + " users, first after start" : row;
    boolean detailed = index == 0 || index == WARM_SYNCS;
    String prefix = index == 0 ? "" : "s" + index; // resource ids of their own: nothing of another sync correlates
    String dir = "bench-full-" + UUID.randomUUID().toString().substring(0, 8);
    String job = UUID.randomUUID().toString();
    long memberships = users;
    long expected = users + groups + (groups == 0 ? 0 : memberships);
    long sourceChanges = 2L + users + 2L * groups;
    reader.expect(dir, expected);
    System.out.printf(Locale.ROOT, "%s: directory %s, %d users, %d groups, %d memberships -> %d source changes, %d identity events expected%n",
        row, dir, users, groups, memberships, sourceChanges, expected);
    statementsReset();
    Map<String, Double> cpuBefore = cpu();
    double loadBefore = Processes.cpuSeconds(ProcessHandle.current().pid());
    double jitBefore = jitCpu();
    long[] machineBefore = Processes.machineTicks();
    long firstPublish = System.currentTimeMillis();
    publishFullSync(dir, job, prefix, users, groups);
    long published = System.currentTimeMillis();
    System.out.printf(Locale.ROOT, "published %d source changes in %.1f s; waiting for identity events%n", sourceChanges, (published - firstPublish) / 1000.0);

    long deadline = System.nanoTime() + timeout.toNanos();
    long lastReport = System.nanoTime();
    while (reader.count(dir) < expected) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out: " + reader.count(dir) + " of " + expected + " identity events; job " + jobStatus(job));
      }
      if (System.nanoTime() - lastReport > 10_000_000_000L) {
        lastReport = System.nanoTime();
        String status = jobStatus(job);
        System.out.printf(Locale.ROOT, "  %6.0f s: %d/%d identity events, job %s, reconciler RSS %.0f MiB, heap %.0f MiB%n",
            (System.currentTimeMillis() - firstPublish) / 1000.0, reader.count(dir), expected, status, memory.lastRss(), memory.lastHeap());
        if (status.contains("BLOCKED")) {
          throw new IllegalStateException(row + " was BLOCKED by thresholds: " + status);
        }
      }
      LockSupport.parkNanos(50_000_000L);
    }
    long lastIdentity = reader.lastPublished(dir);
    double seconds = (lastIdentity - firstPublish) / 1000.0;
    double perSecond = sourceChanges / seconds;
    facts.put(index == 0 ? "fullSync" : "warmSync" + index, Map.of("directory", dir, "job", job, "users", users, "groups", groups, "memberships", memberships,
        "sourceChanges", sourceChanges, "identityEvents", expected, "seconds", seconds, "publishSeconds", (published - firstPublish) / 1000.0,
        "job status", jobStatus(job)));
    System.out.printf(Locale.ROOT, "%s done: %d source changes -> %d identity events in %.1f s (%.0f changes/s)%n", row, sourceChanges, expected, seconds, perSecond);
    // No target on one sync: the first runs while the JIT compiles, the warm ones are judged by their median.
    results.add(new Result(scenario, "source changes/s end to end", perSecond, "1/s", "", true));
    results.add(new Result(row, "duration (first publish -> last identity event)", seconds, "s", "", true));
    // The two phases: every change is staged before the job can be planned (a complete sync's
    // deletions of what it did not list count against the thresholds), then the pages are applied
    // and their events relayed. plannedAt is the reconciler's clock, on this machine.
    Instant planned = jobPlannedAt(job);
    if (planned != null) {
      double staging = (planned.toEpochMilli() - firstPublish) / 1000.0;
      double applying = (lastIdentity - planned.toEpochMilli()) / 1000.0;
      results.add(new Result(row, "staging (first publish -> job planned)", staging, "s", "", true));
      results.add(new Result(row, "applying (job planned -> last identity event)", applying, "s", "", true));
      results.add(new Result(row, "source changes/s while applying", sourceChanges / applying, "1/s", "", true));
    }
    if (!detailed) {
      return perSecond;
    }
    Map<String, Double> cpuAfter = cpu();
    long[] machineAfter = Processes.machineTicks();
    double loadUsed = Processes.cpuSeconds(ProcessHandle.current().pid()) - loadBefore;
    statementsPrint();
    double cpuTotal = 0;
    for (String p : cpuAfter.keySet()) {
      double used = cpuAfter.get(p) - cpuBefore.getOrDefault(p, 0.0);
      cpuTotal += used;
      results.add(new Result(row, "CPU ms per source change: " + p, 1000 * used / sourceChanges, "ms", "", true));
    }
    // Part of the reconciler's figure: a cold JVM compiling (it was 40 % of it with C2's default inlining).
    double jitAfter = jitCpu();
    if (jitBefore >= 0 && jitAfter >= 0) {
      results.add(new Result(row, "CPU ms per source change: reconciler's JIT (part of it)", 1000 * (jitAfter - jitBefore) / sourceChanges, "ms", "", true));
    }
    // Not in the bound: these are the load generator's cores (publishing and reading), not the platform's.
    results.add(new Result(row, "CPU ms per source change: load generator", 1000 * loadUsed / sourceChanges, "ms", "", true));
    // Idle: what the sync left unused; steal: what the host took (a run with more steal is slower
    // throughout, and its CPU per change reads higher: the figures compare only at similar steal).
    if (machineBefore != null && machineAfter != null && machineAfter[0] > machineBefore[0]) {
      double ticks = machineAfter[0] - machineBefore[0];
      results.add(new Result(row, "machine idle, share of CPU time", 100 * (machineAfter[1] - machineBefore[1]) / ticks, "%", "", true));
      results.add(new Result(row, "host steal, share of CPU time", 100 * (machineAfter[2] - machineBefore[2]) / ticks, "%", "", true));
    }
    // What the machine could do if these processes had both cores to themselves: a contention-free bound.
    int cores = Runtime.getRuntime().availableProcessors();
    results.add(new Result(row, "bound from CPU (" + cores + " cores / CPU per change)", sourceChanges / (cpuTotal / cores), "1/s", "", true));
    return perSecond;
  }

  // ---------------------------------------------------------------- publishing

  private void send(String directory, EventType type, Object data) {
    producer.send(record(directory, type, data));
  }

  private ProducerRecord<String, String> record(String directory, EventType type, Object data) {
    ProducerRecord<String, String> r = new ProducerRecord<>(SOURCE_TOPIC, directory, EventJson.write(data));
    header(r, "ce_specversion", "1.0");
    header(r, "ce_id", TimeOrderedIds.next().toString()); // as the ingest services' outbox makes them
    header(r, "ce_source", "/dsync/bench");
    header(r, "ce_type", type.type());
    header(r, "ce_time", Instant.now().toString());
    header(r, "ce_tenantid", tenant);
    header(r, "ce_directoryid", directory);
    header(r, "content-type", "application/json");
    return r;
  }

  private static void header(ProducerRecord<String, String> r, String name, String value) {
    r.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  private static ObjectNode user(String id, String directory) {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:User").add("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    n.put("id", id);
    n.put("externalId", "ext-" + id);
    n.put("userName", id + "@" + directory);
    n.putObject("name").put("givenName", "Bench").put("familyName", id);
    n.put("displayName", "Bench " + id);
    n.put("active", true);
    n.putArray("emails").addObject().put("value", id + "@" + directory).put("type", "work").put("primary", true);
    n.putObject("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").put("department", "Load").put("employeeNumber", id);
    return n;
  }

  private static ObjectNode group(String id) {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:Group");
    n.put("id", id);
    n.put("externalId", "ext-" + id);
    n.put("displayName", "Bench group " + id);
    return n;
  }

  /** When the job was planned and its apply began (null if the API does not say). */
  private Instant jobPlannedAt(String job) {
    JsonNode planned = jobJson(job).path("plannedAt");
    try {
      return planned.isTextual() ? Instant.parse(planned.asText()) : null;
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  private String jobStatus(String job) {
    JsonNode j = jobJson(job);
    if (j.has("error")) {
      return j.path("error").asText();
    }
    return j.path("status").asText() + (j.hasNonNull("reason") ? " (" + j.path("reason").asText() + ")" : "");
  }

  /** The job as the reconciler's API shows it, or {@code {"error": ...}} when it cannot be read. */
  private JsonNode jobJson(String job) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(env.reconcilerUrl() + "/api/v1/sync-jobs/" + job))
          .header("Authorization", "Bearer " + env.adminToken()).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode().put("error", "HTTP " + r.statusCode());
    } catch (IOException e) {
      return JSON.createObjectNode().put("error", "unknown (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return JSON.createObjectNode().put("error", "unknown");
    }
  }


  /** The tenant of the admin token bin/dsync minted, so the bench's directories are visible to it. */
  private static String tenantOf(String jwt) throws IOException {
    if (jwt == null) {
      throw new IllegalStateException("DSYNC_BENCH_TOKEN is not set: run through bin/dsync bench reconciler");
    }
    String[] parts = jwt.split("\\.");
    JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    String tenant = claims.path("tenant").asText(null);
    if (tenant == null) {
      throw new IllegalStateException("the admin token has no tenant claim");
    }
    return tenant;
  }

  static long nowMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }

  // ---------------------------------------------------------------- reading identity events

  /** Counts identity events per directory and measures push latencies; one consumer thread. */
  static final class IdentityReader implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastPublished = new ConcurrentHashMap<>();
    final Map<String, Long> sent = new ConcurrentHashMap<>();
    final Latencies latencies = new Latencies();
    final Latencies receivedLatencies = new Latencies();
    /** Push latencies by 5-second window of the send time: whether the tail sits at the start (right after the sync) or throughout. */
    final Map<Long, Latencies> windows = new java.util.concurrent.ConcurrentSkipListMap<>();
    private volatile boolean running = true;
    private Thread thread;

    IdentityReader(String bootstrap) {
      consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, "bench-reconciler-" + UUID.randomUUID(),
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
          ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000"),
          new StringDeserializer(), new StringDeserializer());
      consumer.subscribe(List.of(IDENTITY_TOPIC));
    }

    void expect(String directory, long n) {
      counts.putIfAbsent(directory, new AtomicLong());
      lastPublished.putIfAbsent(directory, new AtomicLong());
    }

    long count(String directory) {
      AtomicLong c = counts.get(directory);
      return c == null ? 0 : c.get();
    }

    long lastPublished(String directory) {
      return lastPublished.get(directory).get();
    }

    void start() {
      thread = new Thread(this::loop, "identity-reader");
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      while (running) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
          String dir = header(r, "ce_directoryid");
          AtomicLong c = dir == null ? null : counts.get(dir);
          if (c == null) {
            continue;
          }
          c.incrementAndGet();
          lastPublished.get(dir).accumulateAndGet(r.timestamp(), Math::max);
          if (!sent.isEmpty() && "dsync.user.created".equals(header(r, "ce_type")) && r.value() != null) {
            try {
              String userName = JSON.readTree(r.value()).path("user").path("userName").asText();
              Long t0 = sent.get(userName);
              if (t0 != null) {
                latencies.add(Math.max(0, r.timestamp() * 1000 - t0));
                windows.computeIfAbsent(t0 / 5_000_000, k -> new Latencies()).add(Math.max(0, r.timestamp() * 1000 - t0));
                receivedLatencies.add(Math.max(0, nowMicros() - t0));
              }
            } catch (IOException e) {
              latencies.error();
            }
          }
        }
      }
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
      Header h = r.headers().lastHeader(name);
      return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      if (thread != null) {
        thread.join(5000);
      }
      consumer.close();
    }
  }

  // ---------------------------------------------------------------- memory

  /** Samples the reconciler's RSS (/proc) and heap (its Prometheus metrics) every half second. */
  static final class MemorySampler {
    private final long pid;
    private final String metricsUrl;
    private final HttpClient http;
    private volatile boolean running;
    private volatile double maxRss = -1;
    private volatile double lastRss = -1;
    private volatile double maxHeap = -1;
    private volatile double lastHeap = -1;
    private volatile double maxHeapCommitted = -1;
    private Thread thread;

    MemorySampler(long pid, String baseUrl, HttpClient http) {
      this.pid = pid;
      this.metricsUrl = baseUrl + "/q/metrics";
      this.http = http;
    }

    void start() {
      running = true;
      thread = new Thread(() -> {
        while (running) {
          sample();
          LockSupport.parkNanos(500_000_000L);
        }
      }, "memory-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() {
      running = false;
      sample();
    }

    private void sample() {
      double rss = Processes.rssMib(pid);
      lastRss = rss;
      maxRss = Math.max(maxRss, rss);
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(metricsUrl)).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        double used = 0;
        double committed = 0;
        for (String line : r.body().split("\n")) {
          if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
            used += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          } else if (line.startsWith("jvm_memory_committed_bytes{") && line.contains("area=\"heap\"")) {
            committed += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
        lastHeap = used / 1024 / 1024;
        maxHeap = Math.max(maxHeap, lastHeap);
        maxHeapCommitted = Math.max(maxHeapCommitted, committed / 1024 / 1024);
      } catch (IOException | RuntimeException e) {
        // the service is busy or gone: keep the samples we have
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    double maxRss() {
      return maxRss;
    }

    double lastRss() {
      return lastRss;
    }

    double maxHeap() {
      return maxHeap;
    }

    double lastHeap() {
      return lastHeap;
    }

    double maxHeapCommitted() {
      return maxHeapCommitted;
    }
  }

  // ---------------------------------------------------------------- output

  private static int arg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }

  private static void print(List<Result> results) {
    System.out.printf(Locale.ROOT, "%nReconciler benchmark, %s, %d cores (bench JVM's view)%n", Instant.now(), Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "| %-42s | %-56s | %10s | %-5s | %-8s | %-4s |%n", "scenario", "metric", "value", "unit", "target", "met");
    System.out.println("|--------------------------------------------|----------------------------------------------------------|------------|-------|----------|------|");
    for (Result r : results) {
      // CPU per change is a fraction of a millisecond: one decimal showed 0.37 and 0.42 alike.
      String format = Math.abs(r.value()) < 10 ? "%10.3f" : "%10.1f";
      System.out.printf(Locale.ROOT, "| %-42s | %-56s | " + format + " | %-5s | %-8s | %-4s |%n", r.scenario(), r.metric(), r.value(), r.unit(), r.target(),
          r.target().isEmpty() ? "" : r.met() ? "yes" : "NO");
    }
  }

  private void write(List<Result> results, Map<String, Object> facts) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("at", Instant.now().toString());
    out.put("cores", Runtime.getRuntime().availableProcessors());
    out.set("runs", JSON.valueToTree(facts));
    out.set("results", JSON.valueToTree(results));
    Path file = env.out().resolve("reconciler-bench.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    System.out.println("wrote " + file);
  }
}
