package dev.dsync.bench.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dsync.bench.BenchEnv;
import dev.dsync.bench.Latencies;
import dev.dsync.bench.Processes;
import dev.dsync.events.EventType;
import dev.dsync.events.Topic;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Load on a running webhook-dispatcher (bin/dsync bench webhooks): identity events are published
 * straight to {@code dsync.identity.events} as the reconciler does (CloudEvents binary mode, key
 * directoryId) and delivered to a local receiver that verifies every Standard Webhooks signature.
 *
 * <ol>
 *   <li>harness warm-up (nothing reaches the dispatcher): {@code n} records to a bench-only topic
 *       and signed requests straight to the receiver, so the producer, the broker's produce path
 *       and the receiver are warm and "cold" below means the dispatcher's JVM, not the harness;
 *   <li>cold: {@code n} events to one fast endpoint on the dispatcher's fresh JVM;
 *   <li>warm-up, not counted: {@code warmup} more events (default 3n; the JIT keeps compiling well past the
 *       cold burst: the dispatcher's compiler threads use ~25 s of CPU in its first 30 s of load);
 *   <li>warm, alone against beside: {@code rounds} blocks of alone, beside, beside, alone (ABBA, so
 *       a trend over the run, e.g. growing tables, weighs on both sides alike), each {@code n}
 *       events to the fast endpoint; beside, an endpoint that answers after {@code slow} seconds
 *       subscribes to the same events (registered for the burst, deleted after it). The drop is
 *       the median beside against the median alone (target &lt; 10 %);
 *   <li>latency: {@code latency} events paced at {@code rate}/s, from publish to receipt (p50/p99).
 * </ol>
 *
 * <p>Every burst also reports CPU time per delivery of the dispatcher, PostgreSQL, the devstack
 * JVM (Kafka) and audit-service (which consumes dsync.webhook.attempts), and how many cores the
 * rest of the machine used meanwhile: on a shared machine the rate follows the CPU left over, the
 * CPU per delivery much less so.
 *
 * <p>Usage: {@code bin/dsync bench webhooks [n=20000] [slow=10] [latency=2000] [rate=200]
 * [directories=24] [rounds=2] [warmup=3n] [threads=16]}. Prints a table, writes webhooks-bench.json.
 */
public final class WebhooksBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final BenchEnv env;
  private final String tenant;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final KafkaProducer<String, String> producer;
  private final String sample;
  private final List<String> directories = new ArrayList<>();
  /** Publish time (nanoTime) of each event id, for event-to-delivery latency. */
  private final Map<String, Long> publishedAt = new ConcurrentHashMap<>();

  record Result(
      String name,
      String kind,
      int deliveries,
      int badSignatures,
      double publishSeconds,
      double seconds,
      double perSecond,
      double p50,
      double p99,
      double max,
      Cpu cpu) {}

  /** CPU milliseconds per delivery of the processes in the path; the cores everything else used. */
  record Cpu(double dispatcherMs, double postgresMs, double kafkaMs, double auditMs, double benchMs, double otherCores) {}

  private WebhooksBench(BenchEnv env, int directoryCount) throws IOException {
    this.env = env;
    this.tenant = tenantOf(env.adminToken());
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.kafkaBootstrap());
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    try (InputStream in = EventType.class.getClassLoader().getResourceAsStream(EventType.USER_UPDATED.sampleResource())) {
      this.sample = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (int i = 0; i < directoryCount; i++) {
      directories.add(UUID.randomUUID().toString());
    }
  }

  public static void run(BenchEnv env, String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are name=value, e.g. n=2000 slow=10; got " + arg);
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    int n = Integer.parseInt(a.getOrDefault("n", "20000"));
    int slowSeconds = Integer.parseInt(a.getOrDefault("slow", "10"));
    int latencyEvents = Integer.parseInt(a.getOrDefault("latency", "2000"));
    int rate = Integer.parseInt(a.getOrDefault("rate", "200"));
    int dirs = Integer.parseInt(a.getOrDefault("directories", "24"));
    int rounds = Integer.parseInt(a.getOrDefault("rounds", "2"));
    // Measured: the rate still climbs through the first ~60,000 deliveries after the cold burst
    // (1,700-2,100/s, then 3,300-3,800/s), and round 1 of the ABBA blocks carried that climb.
    int warmup = Integer.parseInt(a.getOrDefault("warmup", Integer.toString(3 * n)));
    int threads = Integer.parseInt(a.getOrDefault("threads", "16"));
    WebhooksBench bench = new WebhooksBench(env, dirs);
    try {
      bench.run(n, slowSeconds, latencyEvents, rate, rounds, warmup, threads);
    } finally {
      bench.producer.close(Duration.ofSeconds(5));
    }
  }

  private void run(int n, int slowSeconds, int latencyEvents, int rate, int rounds, int warmup, int threads) throws Exception {
    List<Result> results = new ArrayList<>();
    Map<String, Object> facts = new LinkedHashMap<>();
    try (Receiver fast = new Receiver("fast", threads, 0); Receiver slow = new Receiver("slow", 64, slowSeconds * 1000L)) {
      warmHarness(fast, n);

      Endpoint fastEp = register(fast.url(), "bench fast receiver");
      fast.secret(fastEp.secret());
      facts.put("loadAverageAtStart", loadAverage());

      results.add(burst("fast alone, cold dispatcher JVM", "cold", fast, n));
      facts.put("rssMibAfterCold", rss());
      if (warmup > 0) {
        Result w = burst("warm-up (not counted)", "warmup", fast, warmup);
        System.out.printf(Locale.ROOT, "warm-up: %d deliveries at %.0f/s%n", w.deliveries(), w.perSecond());
      }

      // ABBA blocks: alone, beside, beside, alone.
      int slowRequests = 0;
      double rssBeside = 0;
      for (int round = 1; round <= rounds; round++) {
        for (boolean beside : new boolean[] {false, true, true, false}) {
          if (!beside) {
            results.add(burst("fast alone, warm (round " + round + ")", "alone", fast, n));
            continue;
          }
          Endpoint slowEp = register(slow.url(), "bench slow receiver (" + slowSeconds + " s)");
          slow.secret(slowEp.secret());
          int before = slow.received();
          results.add(burst("fast beside a " + slowSeconds + " s endpoint (round " + round + ")", "beside", fast, n));
          slowRequests += slow.received() - before;
          rssBeside = Math.max(rssBeside, rss());
          // Its backlog would load the platform for hours; it goes (with its deliveries) after each burst.
          delete(slowEp.id());
        }
      }
      facts.put("slowEndpointRequestsDuringBesideRuns", slowRequests);
      facts.put("rssMibBesideSlow", rssBeside);
      if (latencyEvents > 0) {
        results.add(paced("publish to receipt at " + rate + "/s", fast, latencyEvents, rate));
      }
      facts.put("rssMibEnd", rss());
      facts.put("loadAverageAtEnd", loadAverage());

      double alone = median(results, "alone", Result::perSecond);
      double beside = median(results, "beside", Result::perSecond);
      facts.put("fastAloneMedianPerSecond", alone);
      facts.put("fastBesideMedianPerSecond", beside);
      facts.put("fastThroughputDropPercent", 100.0 * (alone - beside) / alone);
      double cpuAlone = median(results, "alone", r -> r.cpu().dispatcherMs());
      double cpuBeside = median(results, "beside", r -> r.cpu().dispatcherMs());
      facts.put("dispatcherCpuMsPerFastDeliveryAloneMedian", cpuAlone);
      facts.put("dispatcherCpuMsPerFastDeliveryBesideMedian", cpuBeside);
      facts.put("badSignatures", fast.bad.get() + slow.bad.get());
      print(results, facts, n, slowSeconds, rounds);
      write(results, facts, n, slowSeconds, rounds);
    }
  }

  private static double median(List<Result> results, String kind, java.util.function.ToDoubleFunction<Result> f) {
    double[] v = results.stream().filter(r -> r.kind().equals(kind)).mapToDouble(f).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /**
   * Warms what is not the dispatcher: the producer and the broker on a bench-only topic nobody
   * consumes, and the receiver with requests signed here.
   */
  private void warmHarness(Receiver receiver, int count) throws Exception {
    long start = System.nanoTime();
    Properties props = new Properties();
    props.put("bootstrap.servers", env.kafkaBootstrap());
    // A fresh name each run: a topic deleted and created again under the same name confuses the
    // idempotent producer (OUT_OF_ORDER_SEQUENCE_NUMBER retried for ever).
    String topic = "dsync.bench.warmup-" + UUID.randomUUID();
    try (Admin admin = Admin.create(props)) {
      admin.createTopics(List.of(new NewTopic(topic, Topic.IDENTITY_EVENTS.partitions(), (short) 1))).all().get(30, TimeUnit.SECONDS);
      for (int i = 0; i < count; i++) {
        publish(topic, i, UUID.randomUUID().toString());
      }
      producer.flush();
      admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
    }
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    receiver.keys.add(key);
    byte[] body = sample.getBytes(StandardCharsets.UTF_8);
    int requests = Math.min(count, 10_000);
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(16);
    for (int i = 0; i < requests; i++) {
      String id = UUID.randomUUID().toString();
      String ts = Long.toString(Instant.now().getEpochSecond());
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
      String signature = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
      inFlight.acquire();
      http.sendAsync(
              HttpRequest.newBuilder(URI.create(receiver.url()))
                  .header("webhook-id", id)
                  .header("webhook-timestamp", ts)
                  .header("webhook-signature", signature)
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .whenComplete((r, e) -> inFlight.release());
    }
    inFlight.acquire(16);
    receiver.keys.clear();
    receiver.bad.set(0);
    System.out.printf(Locale.ROOT, "harness warm-up: %d records to %s, %d signed requests to the receiver, %.1f s%n",
        count, topic, requests, (System.nanoTime() - start) / 1e9);
  }

  /** Publishes {@code count} events as fast as Kafka takes them; waits until all arrived. */
  private Result burst(String name, String kind, Receiver receiver, int count) throws Exception {
    Receiver.Window window = receiver.window(count);
    CpuMeter cpu = new CpuMeter();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      publish(Topic.IDENTITY_EVENTS.topicName(), i, null);
    }
    producer.flush();
    double publishSeconds = (System.nanoTime() - start) / 1e9;
    window.await(Duration.ofSeconds(Math.max(120, count / 50)));
    double seconds = (window.lastNanos() - start) / 1e9;
    Result r = window.result(name, kind, publishSeconds, seconds, cpu.perDelivery(window.count(), seconds));
    System.out.printf(Locale.ROOT, "%s: published %d in %.2f s, received %d in %.2f s: %.0f/s; CPU ms per delivery: dispatcher %.2f,"
            + " PostgreSQL %.2f, Kafka %.2f, audit %.2f, bench (publisher and receiver) %.2f; rest of the machine %.2f cores%n",
        name, count, publishSeconds, window.count(), seconds, r.perSecond(), r.cpu().dispatcherMs(), r.cpu().postgresMs(),
        r.cpu().kafkaMs(), r.cpu().auditMs(), r.cpu().benchMs(), r.cpu().otherCores());
    return r;
  }

  /** Publishes at a fixed rate, so latency is the dispatcher's, not a queue's. */
  private Result paced(String name, Receiver receiver, int count, int perSecond) throws Exception {
    Receiver.Window window = receiver.window(count);
    CpuMeter cpu = new CpuMeter();
    long interval = 1_000_000_000L / perSecond;
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + i * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      publish(Topic.IDENTITY_EVENTS.topicName(), i, null);
      if (i % 16 == 0) {
        producer.flush();
      }
    }
    producer.flush();
    double publishSeconds = (System.nanoTime() - start) / 1e9;
    window.await(Duration.ofSeconds(Math.max(120, count / 50)));
    double seconds = (window.lastNanos() - start) / 1e9;
    return window.result(name, "paced", publishSeconds, seconds, cpu.perDelivery(window.count(), seconds));
  }

  /** One identity event as the reconciler publishes it; {@code id} null for a fresh, timed one. */
  private void publish(String topic, int i, String id) {
    boolean timed = id == null;
    if (timed) {
      id = UUID.randomUUID().toString();
    }
    String directory = directories.get(i % directories.size());
    ProducerRecord<String, String> record = new ProducerRecord<>(topic, directory, sample);
    header(record, "ce_specversion", "1.0");
    header(record, "ce_id", id);
    header(record, "ce_source", "/dsync/reconciler");
    header(record, "ce_type", EventType.USER_UPDATED.type());
    header(record, "ce_time", Instant.now().toString());
    header(record, "ce_tenantid", tenant);
    header(record, "ce_directoryid", directory);
    header(record, "content-type", "application/json");
    if (timed) {
      publishedAt.put(id, System.nanoTime());
    }
    producer.send(record);
  }

  private static void header(ProducerRecord<String, String> record, String name, String value) {
    record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
  }

  /** CPU seconds of the processes in the path and of the whole machine since it was made. */
  private final class CpuMeter {
    private final double dispatcher = cpu("webhook-dispatcher");
    private final double postgres = Processes.cpuSeconds(postmaster());
    private final double kafka = cpu("devstack");
    private final double audit = cpu("audit-service");
    private final double self = Processes.cpuSeconds(ProcessHandle.current().pid());
    private final double machine = machineCpuSeconds();

    Cpu perDelivery(int deliveries, double seconds) {
      double d = cpu("webhook-dispatcher") - dispatcher;
      double p = Processes.cpuSeconds(postmaster()) - postgres;
      double k = cpu("devstack") - kafka;
      double a = cpu("audit-service") - audit;
      double b = Processes.cpuSeconds(ProcessHandle.current().pid()) - self;
      double m = machineCpuSeconds() - machine;
      double per = 1000.0 / Math.max(1, deliveries);
      return new Cpu(d * per, p * per, k * per, a * per, b * per, Math.max(0, m - d - p - k - a - b) / seconds);
    }

    private double cpu(String service) {
      try {
        return Processes.cpuSeconds(env.pid(service));
      } catch (IOException | RuntimeException e) {
        return 0;
      }
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

  /** Busy CPU seconds of the whole machine (all cores) from /proc/stat, or 0 without it. */
  private static double machineCpuSeconds() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      // user nice system idle iowait irq softirq steal: all but idle and iowait
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(f[i]);
      }
      return busy / 100.0;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  record Endpoint(String id, String secret) {}

  private Endpoint register(String url, String description) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("url", url).put("description", description);
    HttpResponse<String> r = http.send(api("/api/v1/webhook-endpoints").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IllegalStateException("registering " + url + " failed: " + r.statusCode() + " " + r.body()
          + " (the dev profile must allow private targets: dsync.webhooks.allow-private-targets)");
    }
    JsonNode json = JSON.readTree(r.body());
    return new Endpoint(json.get("id").asText(), json.get("secret").asText());
  }

  private void delete(String id) throws IOException, InterruptedException {
    http.send(api("/api/v1/webhook-endpoints/" + id).DELETE().build(), HttpResponse.BodyHandlers.discarding());
  }

  private HttpRequest.Builder api(String path) {
    return HttpRequest.newBuilder(URI.create(env.webhooksUrl() + path)).header("Authorization", "Bearer " + env.adminToken());
  }

  private double rss() {
    try {
      return Processes.rssMib(env.pid("webhook-dispatcher"));
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static String tenantOf(String jwt) throws IOException {
    String[] parts = jwt.split("\\.");
    JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    return claims.get("tenant").asText();
  }

  /** The SaaS side: verifies each delivery's signature, counts arrivals and their latency. */
  private final class Receiver implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool;
    private final long delayMillis;
    private final String path;
    private final AtomicInteger received = new AtomicInteger();
    private final AtomicInteger bad = new AtomicInteger();
    private final List<byte[]> keys = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Window window;

    Receiver(String name, int threads, long delayMillis) throws IOException {
      this.delayMillis = delayMillis;
      this.path = "/" + name;
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
      pool = Executors.newFixedThreadPool(threads);
      server.setExecutor(pool);
      server.createContext(path, this::handle);
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /**
     * Adds the secret of an endpoint registered on this receiver: requests of an earlier one
     * (a deleted slow endpoint's attempts still in flight) keep verifying.
     */
    void secret(String whsec) {
      keys.add(0, Base64.getDecoder().decode(whsec.substring("whsec_".length())));
    }

    int received() {
      return received.get();
    }

    Window window(int expected) {
      Window w = new Window(expected);
      window = w;
      return w;
    }

    private void handle(HttpExchange exchange) throws IOException {
      try (exchange) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        long now = System.nanoTime();
        String id = exchange.getRequestHeaders().getFirst("webhook-id");
        boolean ok = verify(id, exchange.getRequestHeaders().getFirst("webhook-timestamp"),
            exchange.getRequestHeaders().getFirst("webhook-signature"), body);
        received.incrementAndGet();
        if (!ok) {
          bad.incrementAndGet();
        }
        Window w = window;
        if (w != null && ok) {
          w.arrived(id, now);
        }
        if (delayMillis > 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delayMillis));
        }
        exchange.sendResponseHeaders(ok ? 204 : 401, -1);
      }
    }

    private boolean verify(String id, String ts, String header, byte[] body) {
      if (id == null || ts == null || header == null) {
        return false;
      }
      try {
        for (byte[] k : keys) {
          Mac mac = Mac.getInstance("HmacSHA256");
          mac.init(new SecretKeySpec(k, "HmacSHA256"));
          mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
          byte[] expected = mac.doFinal(body);
          for (String candidate : header.split(" ")) {
            if (candidate.startsWith("v1,") && MessageDigest.isEqual(expected, Base64.getDecoder().decode(candidate.substring(3)))) {
              return true;
            }
          }
        }
        return false;
      } catch (Exception e) {
        return false;
      }
    }

    @Override
    public void close() {
      server.stop(0);
      pool.shutdownNow();
    }

    /** Arrivals of one scenario: first receipt of each event id published in it. */
    final class Window {
      private final int expected;
      private final Map<String, Boolean> seen = new ConcurrentHashMap<>();
      private final Latencies latencies = new Latencies();
      private final AtomicLong last = new AtomicLong();
      private final java.util.concurrent.CountDownLatch done;

      Window(int expected) {
        this.expected = expected;
        this.done = new java.util.concurrent.CountDownLatch(expected);
      }

      void arrived(String id, long now) {
        Long sent = publishedAt.remove(id);
        if (sent == null || seen.putIfAbsent(id, Boolean.TRUE) != null) {
          return; // a redelivery, or an event of an earlier scenario
        }
        latencies.add((now - sent) / 1000);
        last.accumulateAndGet(now, Math::max);
        done.countDown();
      }

      void await(Duration max) throws InterruptedException {
        if (!done.await(max.toMillis(), TimeUnit.MILLISECONDS)) {
          System.out.printf("only %d of %d deliveries arrived within %s%n", count(), expected, max);
        }
      }

      int count() {
        return latencies.count();
      }

      long lastNanos() {
        return last.get();
      }

      Result result(String name, String kind, double publishSeconds, double seconds, Cpu cpu) {
        return new Result(name, kind, count(), bad.get(), publishSeconds, seconds, count() / seconds,
            latencies.percentileMillis(50), latencies.percentileMillis(99), latencies.percentileMillis(100), cpu);
      }
    }
  }

  private static void print(List<Result> results, Map<String, Object> facts, int n, int slowSeconds, int rounds) {
    System.out.printf(Locale.ROOT, "%nWebhooks benchmark: %d events per burst, slow endpoint %d s, %d ABBA rounds, %s, %d cores%n",
        n, slowSeconds, rounds, Instant.now(), Runtime.getRuntime().availableProcessors());
    System.out.println("Latency is from publishing the identity event to Kafka to the signed delivery arriving.");
    System.out.println("CPU is milliseconds per delivery of dispatcher / PostgreSQL / Kafka / audit-service / this bench (publisher and receivers);"
        + " 'others' is the cores the rest of the machine used meanwhile.");
    System.out.printf(Locale.ROOT, "| %-40s | %10s | %7s | %8s | %12s | %9s | %9s | %9s | %-29s | %6s |%n",
        "scenario", "deliveries", "bad sig", "seconds", "deliveries/s", "p50 ms", "p99 ms", "max ms", "CPU ms/delivery", "others");
    System.out.println("|------------------------------------------|------------|---------|----------|--------------|-----------|-----------|-----------|-------------------------------|--------|");
    for (Result r : results) {
      Cpu c = r.cpu();
      System.out.printf(Locale.ROOT, "| %-40s | %10d | %7d | %8.2f | %12.0f | %9.1f | %9.1f | %9.1f | %5.2f/%5.2f/%5.2f/%5.2f/%5.2f | %6.2f |%n",
          r.name(), r.deliveries(), r.badSignatures(), r.seconds(), r.perSecond(), r.p50(), r.p99(), r.max(),
          c.dispatcherMs(), c.postgresMs(), c.kafkaMs(), c.auditMs(), c.benchMs(), c.otherCores());
    }
    System.out.printf(Locale.ROOT, "%nfast endpoint, warm: median alone %.0f/s, median beside a %d s endpoint %.0f/s: drop %.1f %% (target < 10 %%)%n",
        (double) facts.get("fastAloneMedianPerSecond"), slowSeconds, (double) facts.get("fastBesideMedianPerSecond"),
        (double) facts.get("fastThroughputDropPercent"));
    facts.forEach((k, v) -> System.out.printf(Locale.ROOT, "%s: %s%n", k, v instanceof Double d ? String.format(Locale.ROOT, "%.2f", d) : v));
  }

  private void write(List<Result> results, Map<String, Object> facts, int n, int slowSeconds, int rounds) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("at", Instant.now().toString());
    out.put("cores", Runtime.getRuntime().availableProcessors());
    out.put("eventsPerBurst", n);
    out.put("slowEndpointSeconds", slowSeconds);
    out.put("abbaRounds", rounds);
    ArrayNode arr = out.putArray("results");
    results.forEach(r -> arr.add(JSON.valueToTree(r)));
    facts.forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
    Path file = env.out().resolve("webhooks-bench.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    System.out.println("wrote " + file);
  }
}
