package dev.dsync.bench.scim;

import dev.dsync.bench.BenchEnv;
import dev.dsync.bench.Latencies;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Load against a running ingest-scim (bin/dsync up): POST /Users and PATCH /Groups member add at a
 * fixed concurrency, then GET by userName filter on a directory seeded to the given size. Prints a
 * table and writes bench/target/scim-bench.json.
 *
 * <p>Usage: {@code bin/dsync bench scim [writes=5000] [concurrency=32] [seed users=100000] [filter reads=2000]}
 */
public final class ScimBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String adminToken;

  private ScimBench(String base, String adminToken) {
    this.base = base;
    this.adminToken = adminToken;
  }

  record Result(String name, int requests, int errors, double seconds, double perSecond, double p50, double p99, double max) {}

  public static void run(BenchEnv env, String[] args) throws Exception {
    ScimBench bench = new ScimBench(env.scimUrl(), env.adminToken());
    int writes = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int seed = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    int reads = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
    bench.run(writes, concurrency, seed, reads, env.out());
  }

  private void run(int writes, int concurrency, int seedUsers, int reads, Path out) throws Exception {
    List<Result> results = new ArrayList<>();
    String[] dir = createDirectory("bench-writes");
    String scim = base + "/scim/v2/" + dir[0];
    String token = dir[1];

    // Warm-up: JIT and connection pools, not measured.
    load("warm-up", 500, concurrency, i -> post(scim + "/Users", token, user("warm" + i)));

    results.add(load("POST /Users", writes, concurrency, i -> post(scim + "/Users", token, user("u" + i))));

    String group = JSON.readTree(send(post(scim + "/Groups", token, "{\"displayName\":\"bench group\"}")).body()).get("id").asText();
    results.add(load("PATCH /Groups add member", writes, concurrency, i -> request(scim + "/Groups/" + group, token, "PATCH",
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"member-" + i + "\"}]}]}")));

    String[] big = createDirectory("bench-filter");
    String bigScim = base + "/scim/v2/" + big[0];
    Instant seedStart = Instant.now();
    Result seeding = load("seed users (POST)", seedUsers, concurrency, i -> post(bigScim + "/Users", big[1], user("s" + i)));
    results.add(seeding);
    System.out.printf(Locale.ROOT, "seeded %d users in %.1f s%n", seedUsers, Duration.between(seedStart, Instant.now()).toMillis() / 1000.0);
    results.add(load("GET userName eq (" + seedUsers + " users)", reads, concurrency, i -> get(bigScim + "/Users?filter="
        + URLEncoder.encode("userName eq \"s" + ((i * 7919L) % seedUsers) + "@bench.example\"", StandardCharsets.UTF_8), big[1])));
    results.add(load("GET userName eq, 1 client", Math.min(reads, 1000), 1, i -> get(bigScim + "/Users?filter="
        + URLEncoder.encode("userName eq \"s" + ((i * 104729L) % seedUsers) + "@bench.example\"", StandardCharsets.UTF_8), big[1])));

    print(results, concurrency);
    write(results, concurrency, out);
  }

  private Result load(String name, int n, int concurrency, IntFunction<HttpRequest> requests) throws InterruptedException {
    Latencies lat = new Latencies();
    Semaphore permits = new Semaphore(concurrency);
    AtomicInteger done = new AtomicInteger();
    long start = System.nanoTime();
    List<CompletableFuture<?>> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      permits.acquire();
      HttpRequest req = requests.apply(i);
      long t0 = System.nanoTime();
      all.add(http.sendAsync(req, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
        if (e != null || r.statusCode() >= 400) {
          lat.error();
        } else {
          lat.add((System.nanoTime() - t0) / 1000);
        }
        done.incrementAndGet();
        permits.release();
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(name, n, lat.errors(), seconds, n / seconds, lat.percentileMillis(50), lat.percentileMillis(99), lat.percentileMillis(100));
  }

  private String[] createDirectory(String name) throws IOException, InterruptedException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/api/v1/scim-directories"))
        .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build());
    if (r.statusCode() != 201) {
      throw new IllegalStateException("creating a directory failed: " + r.statusCode() + " " + r.body());
    }
    JsonNode body = JSON.readTree(r.body());
    return new String[] {body.get("directory").get("id").asText(), body.get("token").get("token").asText()};
  }

  private HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private static String user(String name) {
    ObjectNode u = JSON.createObjectNode();
    u.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:User");
    u.put("userName", name + "@bench.example");
    u.put("externalId", "ext-" + name);
    u.putObject("name").put("givenName", "Bench").put("familyName", name);
    u.put("displayName", "Bench " + name);
    u.put("active", true);
    ArrayNode emails = u.putArray("emails");
    emails.addObject().put("value", name + "@bench.example").put("type", "work").put("primary", true);
    u.putObject("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").put("department", "Load");
    return u.toString();
  }

  private static HttpRequest post(String url, String token, String body) {
    return request(url, token, "POST", body);
  }

  private static HttpRequest get(String url, String token) {
    return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).GET().build();
  }

  private static HttpRequest request(String url, String token, String method, String body) {
    return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/scim+json").method(method, HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static void print(List<Result> results, int concurrency) {
    System.out.printf(Locale.ROOT, "%nSCIM benchmark, concurrency %d, %s, %d cores%n", concurrency, Instant.now(), Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "| %-34s | %8s | %6s | %9s | %8s | %8s | %8s |%n", "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms");
    System.out.println("|------------------------------------|----------|--------|-----------|----------|----------|----------|");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "| %-34s | %8d | %6d | %9.0f | %8.2f | %8.2f | %8.2f |%n", r.name(), r.requests(), r.errors(), r.perSecond(), r.p50(), r.p99(), r.max());
    }
  }

  private static void write(List<Result> results, int concurrency, Path dir) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("at", Instant.now().toString());
    out.put("concurrency", concurrency);
    out.put("cores", Runtime.getRuntime().availableProcessors());
    ArrayNode arr = out.putArray("results");
    results.forEach(r -> arr.add(JSON.valueToTree(r)));
    Path file = dir.resolve("scim-bench.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    System.out.println("wrote " + file);
  }
}
