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
 *   <li>throughput: {@code n} events to one fast endpoint, deliveries/s with signing;
 *   <li>isolation: {@code n} more events to the same fast endpoint while a second endpoint that
 *       answers after {@code slow} seconds receives the same events, then {@code n} alone again;
 *       the fast endpoint's rate beside the slow one must not drop by 10 % or more from the mean
 *       of its two runs alone;
 *   <li>latency: {@code latency} events paced at {@code rate}/s, from publish to receipt (p50/p99).
 * </ol>
 *
 * <p>Usage: {@code bin/dsync bench webhooks [n=20000] [slow=10] [latency=2000] [rate=200]
 * [directories=24] [warmup=n] [threads=16]}. Prints a table, writes webhooks-bench.json.
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

  record Result(String name, int deliveries, int badSignatures, double seconds, double perSecond, double p50, double p99, double max) {}

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
    // A full burst by default: the JIT of every process in the path settles before anything counts.
    int warmup = Integer.parseInt(a.getOrDefault("warmup", Integer.toString(n)));
    int threads = Integer.parseInt(a.getOrDefault("threads", "16"));
    WebhooksBench bench = new WebhooksBench(env, dirs);
    try {
      bench.run(n, slowSeconds, latencyEvents, rate, warmup, threads);
    } finally {
      bench.producer.close(Duration.ofSeconds(5));
    }
  }

  private void run(int n, int slowSeconds, int latencyEvents, int rate, int warmup, int threads) throws Exception {
    List<Result> results = new ArrayList<>();
    Map<String, Object> facts = new LinkedHashMap<>();
    try (Receiver fast = new Receiver("fast", threads, 0); Receiver slow = new Receiver("slow", 64, slowSeconds * 1000L)) {
      Endpoint fastEp = register(fast.url(), "bench fast receiver");
      fast.secret(fastEp.secret());

      if (warmup > 0) {
        Result w = burst("warm-up (not counted)", fast, warmup);
        System.out.printf(Locale.ROOT, "warm-up: %d deliveries at %.0f/s%n", w.deliveries(), w.perSecond());
      }

      // Alone, beside, alone again: the baseline is the mean of the two runs alone, so warm-up and
      // other load on a shared machine bias neither side.
      Result alone = burst("fast endpoint alone", fast, n);
      results.add(alone);
      facts.put("rssMibAfterThroughput", rss());

      Endpoint slowEp = register(slow.url(), "bench slow receiver (" + slowSeconds + " s)");
      slow.secret(slowEp.secret());
      Result beside = burst("fast beside a " + slowSeconds + " s endpoint", fast, n);
      results.add(beside);
      facts.put("slowEndpointRequestsDuringRun", slow.received());
      facts.put("rssMibBesideSlow", rss());
      // The slow endpoint's backlog would load the platform for hours; it goes (with its deliveries).
      delete(slowEp.id());

      Result again = burst("fast endpoint alone, again", fast, n);
      results.add(again);
      if (latencyEvents > 0) {
        results.add(paced("publish to receipt at " + rate + "/s", fast, latencyEvents, rate));
      }
      facts.put("rssMibEnd", rss());

      double baseline = (alone.perSecond() + again.perSecond()) / 2;
      facts.put("fastAloneMeanPerSecond", baseline);
      double drop = 100.0 * (baseline - beside.perSecond()) / baseline;
      facts.put("fastThroughputDropPercent", drop);
      facts.put("badSignatures", fast.bad.get() + slow.bad.get());
      print(results, facts, n, slowSeconds);
      write(results, facts, n, slowSeconds);
    }
  }

  /** Publishes {@code count} events as fast as Kafka takes them; waits until all arrived. */
  private Result burst(String name, Receiver receiver, int count) throws Exception {
    Receiver.Window window = receiver.window(count);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      publish(i);
    }
    producer.flush();
    double publishSeconds = (System.nanoTime() - start) / 1e9;
    window.await(Duration.ofSeconds(Math.max(120, count / 50)));
    double seconds = (window.lastNanos() - start) / 1e9;
    System.out.printf(Locale.ROOT, "%s: published %d in %.2f s, received %d in %.2f s%n", name, count, publishSeconds, window.count(), seconds);
    return window.result(name, seconds);
  }

  /** Publishes at a fixed rate, so latency is the dispatcher's, not a queue's. */
  private Result paced(String name, Receiver receiver, int count, int perSecond) throws Exception {
    Receiver.Window window = receiver.window(count);
    long interval = 1_000_000_000L / perSecond;
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + i * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      publish(i);
      if (i % 16 == 0) {
        producer.flush();
      }
    }
    producer.flush();
    window.await(Duration.ofSeconds(Math.max(120, count / 50)));
    return window.result(name, (window.lastNanos() - start) / 1e9);
  }

  private void publish(int i) {
    String id = UUID.randomUUID().toString();
    String directory = directories.get(i % directories.size());
    ProducerRecord<String, String> record = new ProducerRecord<>(Topic.IDENTITY_EVENTS.topicName(), directory, sample);
    header(record, "ce_specversion", "1.0");
    header(record, "ce_id", id);
    header(record, "ce_source", "/dsync/reconciler");
    header(record, "ce_type", EventType.USER_UPDATED.type());
    header(record, "ce_time", Instant.now().toString());
    header(record, "ce_tenantid", tenant);
    header(record, "ce_directoryid", directory);
    header(record, "content-type", "application/json");
    publishedAt.put(id, System.nanoTime());
    producer.send(record);
  }

  private static void header(ProducerRecord<String, String> record, String name, String value) {
    record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
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
    private volatile byte[] key;
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

    void secret(String whsec) {
      key = Base64.getDecoder().decode(whsec.substring("whsec_".length()));
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
      byte[] k = key;
      if (k == null || id == null || ts == null || header == null) {
        return false;
      }
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(k, "HmacSHA256"));
        mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
        byte[] expected = mac.doFinal(body);
        for (String candidate : header.split(" ")) {
          if (candidate.startsWith("v1,") && MessageDigest.isEqual(expected, Base64.getDecoder().decode(candidate.substring(3)))) {
            return true;
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

      Result result(String name, double seconds) {
        return new Result(name, count(), bad.get(), seconds, count() / seconds,
            latencies.percentileMillis(50), latencies.percentileMillis(99), latencies.percentileMillis(100));
      }
    }
  }

  private static void print(List<Result> results, Map<String, Object> facts, int n, int slowSeconds) {
    System.out.printf(Locale.ROOT, "%nWebhooks benchmark: %d events per burst, slow endpoint %d s, %s, %d cores%n",
        n, slowSeconds, Instant.now(), Runtime.getRuntime().availableProcessors());
    System.out.println("Latency is from publishing the identity event to Kafka to the signed delivery arriving.");
    System.out.printf(Locale.ROOT, "| %-36s | %10s | %7s | %8s | %13s | %9s | %9s | %9s |%n",
        "scenario", "deliveries", "bad sig", "seconds", "deliveries/s", "p50 ms", "p99 ms", "max ms");
    System.out.println("|--------------------------------------|------------|---------|----------|---------------|-----------|-----------|-----------|");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "| %-36s | %10d | %7d | %8.2f | %13.0f | %9.1f | %9.1f | %9.1f |%n",
          r.name(), r.deliveries(), r.badSignatures(), r.seconds(), r.perSecond(), r.p50(), r.p99(), r.max());
    }
    System.out.printf(Locale.ROOT, "%nfast endpoint throughput drop beside the slow one: %.1f %% (target < 10 %%)%n",
        (double) facts.get("fastThroughputDropPercent"));
    facts.forEach((k, v) -> System.out.printf(Locale.ROOT, "%s: %s%n", k, v instanceof Double d ? String.format(Locale.ROOT, "%.1f", d) : v));
  }

  private void write(List<Result> results, Map<String, Object> facts, int n, int slowSeconds) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("at", Instant.now().toString());
    out.put("cores", Runtime.getRuntime().availableProcessors());
    out.put("eventsPerBurst", n);
    out.put("slowEndpointSeconds", slowSeconds);
    ArrayNode arr = out.putArray("results");
    results.forEach(r -> arr.add(JSON.valueToTree(r)));
    facts.forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
    Path file = env.out().resolve("webhooks-bench.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    System.out.println("wrote " + file);
  }
}
