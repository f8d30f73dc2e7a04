package dev.dsync.bench.scim;

import dev.dsync.bench.BenchEnv;
import dev.dsync.bench.Latencies;
import dev.dsync.bench.Processes;

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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Load against a running ingest-scim (bin/dsync bench scim starts a fresh one): POST /Users, PATCH
 * /Groups member add and GET by userName filter at a fixed concurrency. Prints a table and writes
 * bench/target/scim-bench.json.
 *
 * <p>Usage: {@code bin/dsync bench scim [writes=5000] [concurrency=32] [seed=100000] [reads=2000]
 * [warmup=20000] [phases=post,patch,get]}; the older positional form {@code [writes]
 * [concurrency] [seed] [reads]} still works.
 *
 * <p>Phases, in order, each row of the table one of them:
 *
 * <ol>
 *   <li><b>POST /Users, cold</b>: the first {@code writes} requests the freshly started service
 *       gets, measured: what an IdP's first burst after a deploy sees (JIT not yet compiled).
 *   <li><b>warm-up</b>: {@code warmup} more POSTs (default 20,000), reported but not a target
 *       figure. JIT warm-up before a steady-state measurement is standard practice; 20,000 requests
 *       is where the C2-compiled request path stops changing the figures on the 2-core machine.
 *   <li><b>POST /Users, warm</b>: {@code writes} POSTs on the warm service: the figure the target
 *       (2,000/s, p99 &lt; 50 ms at concurrency 32) is read against.
 *   <li><b>PATCH /Groups add member</b>: {@code writes} PATCHes, every client adding a new member
 *       to the same group (the worst case: they serialise on that group), after {@code warmup/10}
 *       untimed PATCHes on another group.
 *   <li><b>GET by userName eq</b>: a directory seeded with {@code seed} users (the seed is itself
 *       a warm POST figure, on a growing directory), {@code reads} untimed lookups, then {@code
 *       reads} timed ones at the concurrency and {@code reads} from one client.
 * </ol>
 *
 * <p>The timed phases send from {@code concurrency} keep-alive connections, one request in flight
 * on each (see HttpConnection: java.net.http's client cost as much CPU per request as the service,
 * on the same two cores); setup calls use java.net.http.
 *
 * <p>Beside req/s and latencies each row has the CPU time ingest-scim, PostgreSQL, devstack
 * (Kafka) and this load generator (same cores) spent per request, read from /proc, and the load
 * average at its end: on a shared machine the CPU figures move far less than the wall-clock ones
 * when other work competes for the cores.
 */
public final class ScimBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String adminToken;
  private final BenchEnv env;

  private ScimBench(BenchEnv env) {
    this.env = env;
    this.base = env.scimUrl();
    this.adminToken = env.adminToken();
  }

  record Result(
      String name, int requests, int errors, double seconds, double perSecond, double p50, double p99, double max,
      double scimCpuMsPerRequest, double postgresCpuMsPerRequest, double devstackCpuMsPerRequest, double benchCpuMsPerRequest, double loadAverage) {}

  public static void run(BenchEnv env, String[] args) throws Exception {
    Map<String, String> a = arguments(args);
    int writes = Integer.parseInt(a.getOrDefault("writes", "5000"));
    int concurrency = Integer.parseInt(a.getOrDefault("concurrency", "32"));
    int seed = Integer.parseInt(a.getOrDefault("seed", "100000"));
    int reads = Integer.parseInt(a.getOrDefault("reads", "2000"));
    int warmup = Integer.parseInt(a.getOrDefault("warmup", "20000"));
    Set<String> phases = Set.of(a.getOrDefault("phases", "post,patch,get").toLowerCase(Locale.ROOT).split(","));
    new ScimBench(env).run(writes, concurrency, seed, reads, warmup, phases, env.out());
  }

  /** name=value pairs; bare numbers are the old positional form: writes, concurrency, seed, reads. */
  private static Map<String, String> arguments(String[] args) {
    String[] positional = {"writes", "concurrency", "seed", "reads"};
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq > 0) {
        a.put(args[i].substring(0, eq), args[i].substring(eq + 1));
      } else if (i < positional.length) {
        a.put(positional[i], args[i]);
      } else {
        throw new IllegalArgumentException("arguments are name=value (writes, concurrency, seed, reads, warmup, phases); got " + args[i]);
      }
    }
    return a;
  }

  private void run(int writes, int concurrency, int seedUsers, int reads, int warmup, Set<String> phases, Path out) throws Exception {
    List<Result> results = new ArrayList<>();
    String[] dir = createDirectory("bench-writes");
    String scim = "/scim/v2/" + dir[0];
    String token = dir[1];

    if (phases.contains("post")) {
      results.add(load("POST /Users, cold (fresh JVM)", writes, concurrency, i -> new Req("POST", scim + "/Users", token, user("c" + i))));
      results.add(load("warm-up: POST /Users (untargeted)", warmup, concurrency, i -> new Req("POST", scim + "/Users", token, user("w" + i))));
      results.add(load("POST /Users, warm", writes, concurrency, i -> new Req("POST", scim + "/Users", token, user("u" + i))));
    }

    if (phases.contains("patch")) {
      String warmGroup = createGroup(scim, token, "bench warm-up group");
      load("warm-up: PATCH /Groups (untargeted)", Math.max(1, warmup / 10), concurrency, i -> addMember(scim, token, warmGroup, "warm-" + i));
      String group = createGroup(scim, token, "bench group");
      results.add(load("PATCH /Groups add member", writes, concurrency, i -> addMember(scim, token, group, "member-" + i)));
    }

    if (phases.contains("get")) {
      String[] big = createDirectory("bench-filter");
      String bigScim = "/scim/v2/" + big[0];
      Instant seedStart = Instant.now();
      results.add(load("seed users (POST, warm)", seedUsers, concurrency, i -> new Req("POST", bigScim + "/Users", big[1], user("s" + i))));
      System.out.printf(Locale.ROOT, "seeded %d users in %.1f s%n", seedUsers, Duration.between(seedStart, Instant.now()).toMillis() / 1000.0);
      load("warm-up: GET userName eq (untargeted)", reads, concurrency, i -> byUserName(bigScim, big[1], (i * 31L) % seedUsers));
      results.add(load("GET userName eq (" + seedUsers + " users)", reads, concurrency, i -> byUserName(bigScim, big[1], (i * 7919L) % seedUsers)));
      results.add(load("GET userName eq, 1 client", reads, 1, i -> byUserName(bigScim, big[1], (i * 104729L) % seedUsers)));
    }

    print(results, concurrency);
    write(results, concurrency, out);
  }

  /** One request of a phase: method, path (with query), the directory's token, and a body or null. */
  record Req(String method, String path, String token, String body) {}

  /**
   * Sends {@code n} requests from {@code concurrency} connections, each with one request in flight
   * (so {@code concurrency} are outstanding at any time), and times each from its first byte
   * written to its last byte read.
   */
  private Result load(String name, int n, int concurrency, IntFunction<Req> requests) throws InterruptedException {
    Latencies lat = new Latencies();
    AtomicInteger next = new AtomicInteger();
    URI uri = URI.create(base);
    double[] cpuBefore = cpu();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < Math.min(concurrency, Math.max(n, 1)); t++) {
      Thread thread = new Thread(() -> {
        try (HttpConnection c = new HttpConnection(uri.getHost(), uri.getPort())) {
          for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            Req r = requests.apply(i);
            byte[] body = r.body() == null ? null : r.body().getBytes(StandardCharsets.UTF_8);
            long t0 = System.nanoTime();
            try {
              int status = c.send(r.method(), r.path(), r.token(), body);
              if (status >= 400) {
                lat.error();
              } else {
                lat.add((System.nanoTime() - t0) / 1000);
              }
            } catch (IOException e) {
              lat.error();
            }
          }
        }
      }, "bench-" + t);
      thread.start();
      threads.add(thread);
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double[] cpuAfter = cpu();
    double[] perRequest = new double[cpuBefore.length];
    for (int i = 0; i < perRequest.length; i++) {
      perRequest[i] = cpuBefore[i] < 0 || cpuAfter[i] < 0 || n == 0 ? Double.NaN : (cpuAfter[i] - cpuBefore[i]) * 1000 / n;
    }
    Result r = new Result(name, n, lat.errors(), seconds, n / seconds, lat.percentileMillis(50), lat.percentileMillis(99), lat.percentileMillis(100),
        perRequest[0], perRequest[1], perRequest[2], perRequest[3], loadAverage());
    System.out.printf(Locale.ROOT, "%s: %d in %.1f s, %.0f/s, p50 %.2f ms, p99 %.2f ms, %d errors%n", name, n, seconds, r.perSecond(), r.p50(), r.p99(), r.errors());
    return r;
  }

  /** CPU seconds so far of ingest-scim, PostgreSQL (its postmaster and backends), devstack (Kafka) and this load generator. */
  private double[] cpu() {
    return new double[] {Processes.cpuSeconds(pid("pids/ingest-scim.pid")), Processes.cpuSeconds(pid("devstack/data/postgres/postmaster.pid")),
        Processes.cpuSeconds(pid("pids/devstack.pid")), Processes.cpuSeconds(ProcessHandle.current().pid())};
  }

  private long pid(String file) {
    try {
      return Long.parseLong(Files.readAllLines(env.home().resolve(file)).get(0).trim());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
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

  private String createGroup(String scim, String token, String name) throws IOException, InterruptedException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + scim + "/Groups")).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/scim+json").POST(HttpRequest.BodyPublishers.ofString("{\"displayName\":\"" + name + "\"}")).build());
    if (r.statusCode() != 201) {
      throw new IllegalStateException("creating a group failed: " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body()).get("id").asText();
  }

  private HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  private static Req addMember(String scim, String token, String group, String member) {
    return new Req("PATCH", scim + "/Groups/" + group, token,
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"" + member + "\"}]}]}");
  }

  private static Req byUserName(String scim, String token, long n) {
    return new Req("GET", scim + "/Users?filter=" + URLEncoder.encode("userName eq \"s" + n + "@bench.example\"", StandardCharsets.UTF_8), token, null);
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

  private static void print(List<Result> results, int concurrency) {
    System.out.printf(Locale.ROOT, "%nSCIM benchmark, concurrency %d, %s, %d cores%n", concurrency, Instant.now(), Runtime.getRuntime().availableProcessors());
    System.out.println("CPU ms per request: scim = ingest-scim, pg = PostgreSQL, kafka = devstack, bench = this load generator; load = 1-min load average at the end");
    System.out.printf(Locale.ROOT, "| %-34s | %8s | %6s | %7s | %7s | %7s | %8s | %6s | %6s | %6s | %6s | %5s |%n",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms", "scim", "pg", "kafka", "bench", "load");
    System.out.println("|------------------------------------|----------|--------|---------|---------|---------|----------|--------|--------|--------|--------|-------|");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "| %-34s | %8d | %6d | %7.0f | %7.2f | %7.2f | %8.2f | %6.3f | %6.3f | %6.3f | %6.3f | %5.1f |%n",
          r.name(), r.requests(), r.errors(), r.perSecond(), r.p50(), r.p99(), r.max(),
          r.scimCpuMsPerRequest(), r.postgresCpuMsPerRequest(), r.devstackCpuMsPerRequest(), r.benchCpuMsPerRequest(), r.loadAverage());
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
