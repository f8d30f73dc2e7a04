package dev.dsync.bench.platform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.dsync.bench.BenchEnv;
import dev.dsync.bench.Latencies;
import dev.dsync.bench.Processes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The whole platform across process boundaries: SCIM writes in, signed webhooks out.
 *
 * <ol>
 *   <li>SCIM write throughput and latency at a fixed concurrency (the other services consume
 *       beside it, as in production);
 *   <li>end-to-end latency from SCIM 2xx to webhook received, at a steady open-loop write rate;
 *   <li>an initial provisioning of N users through SCIM, timed until the last webhook arrives;
 *   <li>RSS of every process.
 * </ol>
 *
 * <p>The provisioning runs first (after a short warm-up): the figures after it are of warm JVMs.
 *
 * <p>Usage: {@code bin/dsync bench platform [writes=5000] [concurrency=32] [rate=200] [seconds=30] [provision=100000]}
 */
public final class PlatformBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] PROCESSES = {"devstack", "ingest-scim", "reconciler", "webhook-dispatcher", "audit-service", "ingest-poller"};

  record Row(String scenario, long count, int errors, double seconds, double perSecond, double p50, double p99, double max) {}

  private final BenchEnv env;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newFixedThreadPool(4)).build();
  private final Receiver receiver;

  private PlatformBench(BenchEnv env) throws IOException {
    this.env = env;
    this.receiver = new Receiver();
  }

  public static void run(BenchEnv env, String[] args) throws Exception {
    int writes = arg(args, 0, 5000);
    int concurrency = arg(args, 1, 32);
    int rate = arg(args, 2, 200);
    int seconds = arg(args, 3, 30);
    int provision = arg(args, 4, 100_000);
    PlatformBench bench = new PlatformBench(env);
    try {
      bench.run(writes, concurrency, rate, seconds, provision);
    } finally {
      bench.receiver.close();
    }
  }

  private void run(int writes, int concurrency, int rate, int seconds, int provision) throws Exception {
    List<Row> rows = new ArrayList<>();
    Directory warm = directory("bench-warm");
    progress("warm-up: 500 writes");
    load(warm, "warm", 500, concurrency, null);
    drain("warm", 500);

    // The provisioning runs first: its load also brings every JVM to steady state (JIT), so the
    // throughput and latency phases after it measure warm services. Each phase starts with the
    // pipeline empty: a backlog left by the previous one would be measured as latency of the next.
    Directory initial = directory("bench-provisioning");
    progress("initial provisioning of " + provision + " users");
    Map<String, Double> cpuBefore = cpu();
    List<Row> provisioned = provisioning(initial, provision, concurrency);
    Map<String, Double> cpu = new LinkedHashMap<>();
    cpu().forEach((p, after) -> cpu.put(p, after < 0 || cpuBefore.get(p) < 0 ? -1 : after - cpuBefore.get(p)));

    Directory throughput = directory("bench-throughput");
    progress("throughput: " + writes + " writes at concurrency " + concurrency);
    rows.add(load(throughput, "t", writes, concurrency, "POST /Users, concurrency " + concurrency));
    drain("t", writes);

    Directory steady = directory("bench-latency");
    progress("latency: " + rate + " writes/s for " + seconds + " s");
    rows.add(steadyRate(steady, rate, seconds));
    rows.addAll(provisioned);

    Map<String, Double> rss = new LinkedHashMap<>();
    for (String p : PROCESSES) {
      try {
        rss.put(p, Processes.rssMib(env.pid(p)));
      } catch (IOException | NumberFormatException e) {
        rss.put(p, -1.0);
      }
    }
    print(rows, rss, cpu);
    write(rows, rss, cpu);
  }

  /** Closed-loop load: {@code concurrency} requests in flight, as fast as the platform answers. */
  private Row load(Directory d, String prefix, int n, int concurrency, String name) throws Exception {
    Latencies lat = new Latencies();
    Semaphore permits = new Semaphore(concurrency);
    List<CompletableFuture<?>> all = new ArrayList<>(n);
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      permits.acquire();
      long t0 = System.nanoTime();
      all.add(http.sendAsync(createUser(d, prefix + i), HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
        if (e != null || r.statusCode() != 201) {
          lat.error();
        } else {
          lat.add((System.nanoTime() - t0) / 1000);
        }
        permits.release();
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    double secs = (System.nanoTime() - start) / 1e9;
    return new Row(name == null ? "warm-up" : name, n, lat.errors(), secs, n / secs,
        lat.percentileMillis(50), lat.percentileMillis(99), lat.percentileMillis(100));
  }

  /**
   * Open loop at a fixed rate: each write's 2xx time is matched with the arrival of its
   * dsync.user.created webhook, so the figure covers ingest-scim's outbox, Kafka, the reconciler,
   * Kafka again and the dispatcher.
   */
  private Row steadyRate(Directory d, int rate, int seconds) throws Exception {
    Map<String, Long> answeredAt = new ConcurrentHashMap<>();
    AtomicInteger errors = new AtomicInteger();
    int n = rate * seconds;
    long periodNanos = 1_000_000_000L / rate;
    long start = System.nanoTime();
    List<CompletableFuture<?>> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long due = start + i * periodNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      String userName = "l" + i + "@bench.example";
      all.add(http.sendAsync(createUser(d, "l" + i), HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
        if (e != null || r.statusCode() != 201) {
          errors.incrementAndGet();
        } else {
          answeredAt.put(userName, System.nanoTime());
        }
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    double sendSeconds = (System.nanoTime() - start) / 1e9;
    receiver.awaitAll(answeredAt.keySet(), Duration.ofMinutes(5));
    Latencies lat = new Latencies();
    answeredAt.forEach((user, t) -> {
      Long arrived = receiver.arrivals.get(user);
      if (arrived == null) {
        lat.error();
      } else {
        lat.add(Math.max(0, arrived - t) / 1000);
      }
    });
    return new Row("SCIM 2xx -> webhook received, " + rate + " writes/s", n, errors.get() + lat.errors(), sendSeconds,
        answeredAt.size() / sendSeconds, lat.percentileMillis(50), lat.percentileMillis(99), lat.percentileMillis(100));
  }

  private void drain(String prefix, int n) throws Exception {
    List<String> users = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      users.add(prefix + i + "@bench.example");
    }
    long t0 = System.nanoTime();
    if (!receiver.awaitAll(users, Duration.ofMinutes(30))) {
      throw new IllegalStateException("webhooks of phase '" + prefix + "' did not all arrive within 30 minutes");
    }
    progress(String.format(Locale.ROOT, "  pipeline drained %.1f s after the last write", (System.nanoTime() - t0) / 1e9));
  }

  private static void progress(String line) {
    System.err.println("[" + Instant.now() + "] " + line);
  }

  private List<Row> provisioning(Directory d, int n, int concurrency) throws Exception {
    long start = System.nanoTime();
    Row scim = load(d, "p", n, concurrency, "initial provisioning: SCIM phase");
    List<String> users = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      users.add("p" + i + "@bench.example");
    }
    boolean all = receiver.awaitAll(users, Duration.ofMinutes(30));
    double total = (System.nanoTime() - start) / 1e9;
    long arrived = users.stream().filter(receiver.arrivals::containsKey).count();
    return List.of(scim, new Row("initial provisioning: until last webhook" + (all ? "" : " (INCOMPLETE)"), arrived,
        (int) (n - arrived), total, arrived / total, Double.NaN, Double.NaN, Double.NaN));
  }

  private record Directory(String id, String scimBase, String token) {}

  private Directory directory(String name) throws Exception {
    JsonNode created = admin("POST", env.scimUrl() + "/api/v1/scim-directories", "{\"name\":\"" + name + "\"}");
    String id = created.path("directory").path("id").asText();
    JsonNode endpoint = admin("POST", env.webhooksUrl() + "/api/v1/webhook-endpoints",
        "{\"url\":\"" + receiver.url() + "\",\"eventTypes\":[\"dsync.user.created\"],\"directoryIds\":[\"" + id + "\"]}");
    receiver.secret(endpoint.path("secret").asText());
    return new Directory(id, env.scimUrl() + "/scim/v2/" + id, created.path("token").path("token").asText());
  }

  private JsonNode admin(String method, String url, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + env.adminToken())
        .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + url + " -> " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  private static HttpRequest createUser(Directory d, String name) {
    ObjectNode u = JSON.createObjectNode();
    u.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:User");
    u.put("userName", name + "@bench.example");
    u.put("externalId", "ext-" + name);
    u.putObject("name").put("givenName", "Bench").put("familyName", name);
    u.put("displayName", "Bench " + name);
    u.put("active", true);
    u.putArray("emails").addObject().put("value", name + "@bench.example").put("type", "work").put("primary", true);
    return HttpRequest.newBuilder(URI.create(d.scimBase() + "/Users")).header("Authorization", "Bearer " + d.token())
        .header("Content-Type", "application/scim+json").POST(HttpRequest.BodyPublishers.ofString(u.toString())).build();
  }

  private static int arg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }

  /** CPU seconds used so far by each process (with its children: PostgreSQL's backends). */
  private Map<String, Double> cpu() {
    Map<String, Double> cpu = new LinkedHashMap<>();
    for (String p : PROCESSES) {
      try {
        cpu.put(p, Processes.cpuSeconds(env.pid(p)));
      } catch (IOException | NumberFormatException e) {
        cpu.put(p, -1.0);
      }
    }
    // The embedded PostgreSQL daemonizes (its parent is init, not devstack): count it on its own.
    try {
      String postmaster = Files.readAllLines(env.home().resolve("devstack/data/postgres/postmaster.pid")).get(0).trim();
      cpu.put("postgresql", Processes.cpuSeconds(Long.parseLong(postmaster)));
    } catch (IOException | RuntimeException e) {
      cpu.put("postgresql", -1.0);
    }
    return cpu;
  }

  private static void print(List<Row> rows, Map<String, Double> rss, Map<String, Double> cpu) {
    System.out.printf(Locale.ROOT, "%nPlatform benchmark, %s, %d cores, every process on loopback%n", Instant.now(),
        Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "| %-46s | %8s | %6s | %8s | %8s | %8s | %8s | %8s |%n", "scenario", "count", "errors", "seconds", "per s",
        "p50 ms", "p99 ms", "max ms");
    System.out.println("|------------------------------------------------|----------|--------|----------|----------|----------|----------|----------|");
    for (Row r : rows) {
      System.out.printf(Locale.ROOT, "| %-46s | %8d | %6d | %8.1f | %8.0f | %8.1f | %8.1f | %8.1f |%n", r.scenario(), r.count(), r.errors(),
          r.seconds(), r.perSecond(), r.p50(), r.p99(), r.max());
    }
    System.out.printf(Locale.ROOT, "%n| %-20s | %8s | %26s |%n|----------------------|----------|----------------------------|%n",
        "process", "RSS MiB", "CPU s during provisioning");
    rss.forEach((p, mib) -> System.out.printf(Locale.ROOT, "| %-20s | %8.0f | %26.1f |%n", p, mib, cpu.get(p)));
    System.out.printf(Locale.ROOT, "| %-20s | %8s | %26.1f |%n", "postgresql", "", cpu.get("postgresql"));
  }

  private void write(List<Row> rows, Map<String, Double> rss, Map<String, Double> cpu) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("at", Instant.now().toString());
    out.put("cores", Runtime.getRuntime().availableProcessors());
    ArrayNode arr = out.putArray("results");
    rows.forEach(r -> arr.add(JSON.valueToTree(r)));
    ObjectNode mem = out.putObject("rssMib");
    rss.forEach(mem::put);
    ObjectNode cpuOut = out.putObject("provisioningCpuSeconds");
    cpu.forEach(cpuOut::put);
    Path file = env.out().resolve("platform-bench.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    System.out.println("wrote " + file);
  }

  /**
   * The SaaS application's endpoint: verifies each Standard Webhooks signature (a bad one is
   * answered 401 and not counted) and records when each user's creation arrived.
   */
  static final class Receiver implements AutoCloseable {
    final Map<String, Long> arrivals = new ConcurrentHashMap<>();
    private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
    private final HttpServer server;

    Receiver() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
      server.setExecutor(Executors.newFixedThreadPool(16));
      server.createContext("/webhooks", exchange -> {
        long now = System.nanoTime();
        byte[] body = exchange.getRequestBody().readAllBytes();
        boolean ok = verified(exchange.getRequestHeaders().getFirst("webhook-id"), exchange.getRequestHeaders().getFirst("webhook-timestamp"),
            exchange.getRequestHeaders().getFirst("webhook-signature"), body);
        if (ok) {
          String user = JSON.readTree(body).path("data").path("user").path("userName").asText();
          arrivals.putIfAbsent(user, now);
        }
        exchange.sendResponseHeaders(ok ? 204 : 401, -1);
        exchange.close();
      });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/webhooks";
    }

    void secret(String whsec) {
      keys.put(whsec, java.util.Base64.getDecoder().decode(whsec.substring("whsec_".length())));
    }

    /** Each directory has its own endpoint and secret; a delivery verifies under one of them. */
    private boolean verified(String id, String ts, String header, byte[] body) {
      if (id == null || ts == null || header == null) {
        return false;
      }
      try {
        for (byte[] key : keys.values()) {
          Mac mac = Mac.getInstance("HmacSHA256");
          mac.init(new SecretKeySpec(key, "HmacSHA256"));
          mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
          byte[] expected = mac.doFinal(body);
          for (String candidate : header.split(" ")) {
            if (candidate.startsWith("v1,")
                && java.security.MessageDigest.isEqual(expected, java.util.Base64.getDecoder().decode(candidate.substring(3)))) {
              return true;
            }
          }
        }
      } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
        return false;
      }
      return false;
    }

    boolean awaitAll(java.util.Collection<String> users, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (arrivals.keySet().containsAll(users)) {
          return true;
        }
        Thread.sleep(200);
      }
      return false;
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
