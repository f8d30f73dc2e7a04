package dev.dsync.bench.poller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dsync.bench.BenchEnv;
import dev.dsync.bench.Processes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A complete sync of a large Microsoft Graph directory through a running ingest-poller
 * (bin/dsync bench poller): a fake Graph in this JVM on loopback (token endpoint,
 * {@code /users/delta}, {@code /groups/delta} with {@code members@delta}, nextLink pages then a
 * deltaLink), a {@code microsoft-graph} connection created through the admin API, one
 * {@code POST /connections/{id}/sync?mode=complete}, and a Kafka consumer on
 * {@code dsync.source.changes} that waits for every user, group and membership of the directory
 * and the job's {@code sync_job.completed}. Time runs from the sync request to the last of those
 * records' Kafka timestamps. Target: under 60 s for 100,000 users and 2,000 groups.
 *
 * <p>Directory: user {@code i} is in group {@code i % groups} and in group {@code (i / 50) % groups}
 * (a "department" and a "team"); the first 20 groups also hold group 0 (nested). Group objects carry
 * at most {@value #MEMBERS_PER_OBJECT} members each and reappear with only {@code id} and
 * {@code members@delta} for the rest, as Graph splits large member lists.
 *
 * <p>Usage: {@code bin/dsync bench poller [users=100000] [groups=2000] [pageSize=999] [timeout=900]}.
 * Prints a table, writes poller-bench.json.
 */
public final class PollerBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOPIC = "dsync.source.changes";
  private static final String TENANT_ID = "bench.onmicrosoft.com";
  private static final String CLIENT_ID = "b3nc4000-0000-4000-8000-000000000001";
  private static final String SECRET = "bench-client-secret-" + UUID.randomUUID();
  static final int MEMBERS_PER_OBJECT = 100;
  static final double TARGET_SECONDS = 60;

  record Result(String measure, double value, String unit, String target, boolean ok) {}

  public static void run(BenchEnv env, String[] args) throws Exception {
    // The Kafka client's configuration dump would bury the progress lines.
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "warn");
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are name=value, e.g. users=100000 groups=2000 pageSize=999; got " + arg);
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    int users = Integer.parseInt(a.getOrDefault("users", "100000"));
    int groups = Integer.parseInt(a.getOrDefault("groups", "2000"));
    int pageSize = Integer.parseInt(a.getOrDefault("pageSize", "999"));
    int timeout = Integer.parseInt(a.getOrDefault("timeout", "900"));
    Directory dir = new Directory(users, groups);
    System.out.printf(Locale.ROOT, "fake Graph directory: %d users, %d groups, %d memberships (%d nested), %d members per group object at most%n",
        users, groups, dir.memberships, dir.nested, MEMBERS_PER_OBJECT);
    try (FakeGraph graph = new FakeGraph(dir)) {
      new PollerBench(env, graph, dir, pageSize, timeout).run();
    }
  }

  private final BenchEnv env;
  private final FakeGraph graph;
  private final Directory dir;
  private final int pageSize;
  private final int timeout;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private PollerBench(BenchEnv env, FakeGraph graph, Directory dir, int pageSize, int timeout) {
    this.env = env;
    this.graph = graph;
    this.dir = dir;
    this.pageSize = pageSize;
    this.timeout = timeout;
  }

  private void run() throws Exception {
    String connection = createConnection();
    System.out.println("connection " + connection + " -> " + graph.baseUrl());
    long pid = env.pid("ingest-poller");
    MemorySampler memory = new MemorySampler(pid, env.pollerUrl() + "/q/metrics", http);
    try (ChangeReader reader = new ChangeReader(env.kafkaBootstrap(), connection)) {
      reader.start();
      memory.start();
      long startMillis = System.currentTimeMillis();
      long start = System.nanoTime();
      String job = sync(connection);
      System.out.println("complete job " + job + " queued");
      reader.job(job);
      long deadline = start + timeout * 1_000_000_000L;
      long lastReport = start;
      while (!reader.done(dir) && System.nanoTime() < deadline) {
        LockSupport.parkNanos(200_000_000L);
        if (System.nanoTime() - lastReport > 5_000_000_000L) {
          lastReport = System.nanoTime();
          System.out.printf(Locale.ROOT, "  %5.0f s: %d/%d users, %d/%d groups, %d/%d members on Kafka; Graph pages served %d; heap %.0f MiB, RSS %.0f MiB%n",
              (lastReport - start) / 1e9, reader.users.size(), dir.users, reader.groups.size(), dir.groups, reader.members.get(), dir.memberships,
              graph.pages.get(), memory.lastHeap, memory.lastRss);
          String failed = reader.failure;
          if (failed != null) {
            break;
          }
        }
      }
      long seenNanos = System.nanoTime();
      memory.stop();
      JsonNode jobView = get("/api/v1/connections/" + connection + "/jobs/" + job);
      boolean done = reader.done(dir);
      // Records' broker timestamps (CreateTime, set by the poller's producer) say when the last one was on Kafka.
      double seconds = done ? Math.max(0.001, (reader.lastTimestamp.get() - startMillis) / 1000.0) : (seenNanos - start) / 1e9;
      JsonNode counters = jobView.path("counters");
      long pages = counters.path("pages").asLong(graph.pages.get());
      long events = reader.events.get();
      // When the job committed its last page and sweep: everything after that is the outbox relay's.
      double jobSeconds = jobView.hasNonNull("finishedAt")
          ? (java.time.OffsetDateTime.parse(jobView.get("finishedAt").asText()).toInstant().toEpochMilli() - startMillis) / 1000.0 : -1;
      List<Result> results = new ArrayList<>();
      results.add(new Result("complete sync, request to last change on Kafka", seconds, "s", "< " + (int) TARGET_SECONDS, done && seconds < TARGET_SECONDS));
      results.add(new Result("request to job COMPLETED (outbox committed)", jobSeconds, "s", "", jobSeconds > 0));
      results.add(new Result("users, over the whole time", dir.users / seconds, "users/s", "", done));
      results.add(new Result("pages, over the whole time", pages / seconds, "pages/s", "", done));
      results.add(new Result("pages, until the job COMPLETED", jobSeconds > 0 ? pages / jobSeconds : -1, "pages/s", "", jobSeconds > 0));
      results.add(new Result("source events on Kafka", events / seconds, "events/s", "", done));
      results.add(new Result("poller heap used, max sampled", memory.maxHeap, "MiB", "", memory.maxHeap >= 0));
      results.add(new Result("poller heap committed, max sampled", memory.maxHeapCommitted, "MiB", "", memory.maxHeapCommitted >= 0));
      results.add(new Result("poller RSS, max sampled", memory.maxRss, "MiB", "", memory.maxRss >= 0));
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("connectionId", connection);
      facts.put("jobId", job);
      facts.put("jobStatus", jobView.path("status").asText());
      facts.put("allSeen", done);
      facts.put("usersSeen", reader.users.size());
      facts.put("groupsSeen", reader.groups.size());
      facts.put("membersAddedSeen", reader.members.get());
      facts.put("membershipsExpected", dir.memberships);
      facts.put("sourceEvents", events);
      facts.put("graphPagesServed", graph.pages.get());
      facts.put("graphTokenRequests", graph.tokens.get());
      facts.put("jobCounters", JSON.convertValue(counters, Map.class));
      facts.put("pollerCpuSeconds", Processes.cpuSeconds(pid));
      if (reader.failure != null) {
        facts.put("failure", reader.failure);
      }
      print(results, facts);
      write(results, facts);
    }
  }

  // ---------------------------------------------------------------- admin API

  private String createConnection() throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("name", "bench Graph " + dir.users + " users").put("type", "microsoft-graph");
    body.putObject("settings").put("tenantId", TENANT_ID).put("clientId", CLIENT_ID)
        .put("baseUrl", graph.baseUrl()).put("authorityUrl", graph.authorityUrl()).put("pageSize", pageSize);
    body.putObject("credentials").put("clientSecret", SECRET);
    // No scheduled incremental during the run.
    body.putObject("schedule").put("incrementalMinutes", 1440);
    HttpResponse<String> r = http.send(api("/api/v1/connections").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IllegalStateException("creating the Graph connection failed: " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body()).get("id").asText();
  }

  /** Queues the complete job; a new connection is also due at once, so the scheduler may have queued it first. */
  private String sync(String connection) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(api("/api/v1/connections/" + connection + "/sync?mode=complete")
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 202) {
      return JSON.readTree(r.body()).get("id").asText();
    }
    if (r.statusCode() == 409) {
      for (JsonNode job : get("/api/v1/connections/" + connection + "/jobs")) {
        if (job.path("mode").asText().equalsIgnoreCase("complete") && !job.path("status").asText().equals("FAILED")) {
          System.out.println("the scheduler queued the first complete job just before the request; measuring that one");
          return job.get("id").asText();
        }
      }
    }
    throw new IllegalStateException("sync request failed: " + r.statusCode() + " " + r.body());
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(api(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  private HttpRequest.Builder api(String path) {
    return HttpRequest.newBuilder(URI.create(env.pollerUrl() + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + env.adminToken());
  }

  // ---------------------------------------------------------------- the directory

  /** The generated directory: ids and memberships, computed once, rendered per request. */
  static final class Directory {
    final int users;
    final int groups;
    final String[] userIds;
    final String[] groupIds;
    final List<List<String[]>> members = new ArrayList<>(); // per group: {id, type}
    final long memberships;
    final int nested;

    Directory(int users, int groups) {
      this.users = users;
      this.groups = groups;
      userIds = new String[users];
      groupIds = new String[groups];
      for (int i = 0; i < users; i++) {
        userIds[i] = UUID.nameUUIDFromBytes(("bench-user-" + i).getBytes(StandardCharsets.UTF_8)).toString();
      }
      List<Set<Integer>> sets = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        groupIds[g] = UUID.nameUUIDFromBytes(("bench-group-" + g).getBytes(StandardCharsets.UTF_8)).toString();
        sets.add(new LinkedHashSet<>());
      }
      for (int i = 0; i < users; i++) {
        sets.get(i % groups).add(i);
        sets.get((i / 50) % groups).add(i);
      }
      long total = 0;
      int n = 0;
      for (int g = 0; g < groups; g++) {
        List<String[]> list = new ArrayList<>();
        for (int i : sets.get(g)) {
          list.add(new String[] {userIds[i], "user"});
        }
        if (g > 0 && g <= 20) {
          list.add(new String[] {groupIds[0], "group"});
          n++;
        }
        total += list.size();
        members.add(list);
      }
      memberships = total;
      nested = n;
    }

    ObjectNode user(int i) {
      ObjectNode u = JSON.createObjectNode();
      String name = String.format(Locale.ROOT, "user%06d", i);
      u.put("id", userIds[i]).put("userPrincipalName", name + "@bench.example.com").put("displayName", "User " + i)
          .put("givenName", "User").put("surname", "Number" + i).put("mail", name + "@bench.example.com").put("accountEnabled", true)
          .put("jobTitle", i % 10 == 0 ? "Manager" : "Engineer").put("department", "Department " + (i % groups))
          .put("employeeId", String.valueOf(100000 + i)).put("companyName", "Bench Corp").putNull("mobilePhone")
          .put("preferredLanguage", "en-US").put("officeLocation", "Building " + (i % 7)).put("usageLocation", "US");
      u.putArray("businessPhones").add("+1 555 01" + String.format(Locale.ROOT, "%05d", i % 100000));
      return u;
    }

    /** Group objects of the initial round: the group, then continuation objects for members past the first chunk. */
    int objects() {
      int n = 0;
      for (List<String[]> m : members) {
        n += Math.max(1, (m.size() + MEMBERS_PER_OBJECT - 1) / MEMBERS_PER_OBJECT);
      }
      return n;
    }
  }

  // ---------------------------------------------------------------- the fake Graph

  /**
   * Microsoft identity platform token endpoint and Graph delta queries, as documented
   * (learn.microsoft.com/graph/delta-query-overview, /graph/api/user-delta, /graph/api/group-delta,
   * /entra/identity-platform/v2-oauth2-client-creds-grant-flow): {@code Prefer: odata.maxpagesize}
   * (at most 999), {@code @odata.nextLink} with a {@code $skiptoken} until the last page, which
   * carries an {@code @odata.deltaLink}; a later round from that link answers no changes.
   */
  static final class FakeGraph implements AutoCloseable {
    private final HttpServer server;
    private final Directory dir;
    private final int[][] groupObjects; // {group index, chunk index}
    private final Set<String> issued = ConcurrentHashMap.newKeySet();
    final AtomicInteger pages = new AtomicInteger();
    final AtomicInteger tokens = new AtomicInteger();

    FakeGraph(Directory dir) throws IOException {
      this.dir = dir;
      groupObjects = new int[dir.objects()][];
      // First every group's first chunk, then the continuations: Graph sends a group's later members
      // in later objects of the round.
      int k = 0;
      for (int g = 0; g < dir.groups; g++) {
        groupObjects[k++] = new int[] {g, 0};
      }
      for (int g = 0; g < dir.groups; g++) {
        int chunks = Math.max(1, (dir.members.get(g).size() + MEMBERS_PER_OBJECT - 1) / MEMBERS_PER_OBJECT);
        for (int c = 1; c < chunks; c++) {
          groupObjects[k++] = new int[] {g, c};
        }
      }
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      server.createContext("/", this::handle);
      server.setExecutor(Executors.newFixedThreadPool(4));
      server.start();
    }

    String authorityUrl() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String baseUrl() {
      return authorityUrl() + "/v1.0";
    }

    private void handle(HttpExchange ex) throws IOException {
      try (ex) {
        String path = ex.getRequestURI().getPath();
        if (path.equals("/" + TENANT_ID + "/oauth2/v2.0/token") && ex.getRequestMethod().equals("POST")) {
          token(ex);
          return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || !issued.contains(auth.substring(7))) {
          send(ex, 401, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"Access token is empty or invalid.\"}}");
          return;
        }
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        String prefer = ex.getRequestHeaders().getFirst("Prefer");
        int size = prefer != null && prefer.startsWith("odata.maxpagesize=") ? Math.min(999, Integer.parseInt(prefer.substring(18).trim())) : 100;
        switch (path) {
          case "/v1.0/users/delta" -> delta(ex, "users", q, size);
          case "/v1.0/groups/delta" -> delta(ex, "groups", q, size);
          case "/v1.0/users", "/v1.0/groups" -> send(ex, 200, "{\"value\":[]}");
          default -> send(ex, 404, "{\"error\":{\"code\":\"Request_ResourceNotFound\",\"message\":\"no such resource\"}}");
        }
      } catch (RuntimeException e) {
        send(ex, 500, "{\"error\":{\"code\":\"generalException\",\"message\":\"" + e.getClass().getSimpleName() + "\"}}");
      }
    }

    private void token(HttpExchange ex) throws IOException {
      tokens.incrementAndGet();
      Map<String, String> form = query(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      if (!CLIENT_ID.equals(form.get("client_id")) || !SECRET.equals(form.get("client_secret"))
          || !"client_credentials".equals(form.get("grant_type")) || !"https://graph.microsoft.com/.default".equals(form.get("scope"))) {
        send(ex, 401, "{\"error\":\"invalid_client\",\"error_codes\":[7000215],\"error_description\":\"AADSTS7000215: Invalid client secret provided.\"}");
        return;
      }
      String t = "bench-" + UUID.randomUUID();
      issued.add(t);
      send(ex, 200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,\"access_token\":\"" + t + "\"}");
    }

    private void delta(HttpExchange ex, String kind, Map<String, String> q, int size) throws IOException {
      ObjectNode body = JSON.createObjectNode();
      body.put("@odata.context", baseUrl() + "/$metadata#" + kind);
      ArrayNode value = body.putArray("value");
      if (q.containsKey("$deltatoken")) {
        // A later round: nothing changed since.
        body.put("@odata.deltaLink", baseUrl() + "/" + kind + "/delta?$deltatoken=" + q.get("$deltatoken"));
        send(ex, 200, body.toString());
        return;
      }
      int offset = q.containsKey("$skiptoken") ? Integer.parseInt(new String(java.util.Base64.getUrlDecoder().decode(q.get("$skiptoken")), StandardCharsets.UTF_8)) : 0;
      int total = kind.equals("users") ? dir.users : groupObjects.length;
      int end = Math.min(total, offset + size);
      for (int i = offset; i < end; i++) {
        value.add(kind.equals("users") ? dir.user(i) : groupObject(groupObjects[i][0], groupObjects[i][1]));
      }
      if (end < total) {
        String skip = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(Integer.toString(end).getBytes(StandardCharsets.UTF_8));
        body.put("@odata.nextLink", baseUrl() + "/" + kind + "/delta?$skiptoken=" + skip);
      } else {
        body.put("@odata.deltaLink", baseUrl() + "/" + kind + "/delta?$deltatoken=" + UUID.randomUUID());
      }
      pages.incrementAndGet();
      send(ex, 200, body.toString());
    }

    private ObjectNode groupObject(int g, int chunk) {
      ObjectNode o = JSON.createObjectNode();
      o.put("id", dir.groupIds[g]);
      if (chunk == 0) {
        o.put("displayName", "Group " + g).put("description", "bench group " + g).putNull("mail").put("mailNickname", "group" + g)
            .put("mailEnabled", false).put("securityEnabled", true);
        o.putArray("groupTypes");
      }
      ArrayNode members = o.putArray("members@delta");
      List<String[]> all = dir.members.get(g);
      for (int i = chunk * MEMBERS_PER_OBJECT; i < Math.min(all.size(), (chunk + 1) * MEMBERS_PER_OBJECT); i++) {
        members.addObject().put("@odata.type", "#microsoft.graph." + all.get(i)[1]).put("id", all.get(i)[0]);
      }
      return o;
    }

    private static Map<String, String> query(String raw) {
      Map<String, String> out = new HashMap<>();
      if (raw == null || raw.isEmpty()) {
        return out;
      }
      for (String kv : raw.split("&")) {
        int i = kv.indexOf('=');
        out.put(URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8),
            i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
      }
      return out;
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(status, bytes.length);
      ex.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
      server.stop(0);
      ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
  }

  // ---------------------------------------------------------------- reading the changes

  /** Reads dsync.source.changes from the beginning and keeps what belongs to one directory. */
  static final class ChangeReader implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final String directory;
    final Set<String> users = ConcurrentHashMap.newKeySet();
    final Set<String> groups = ConcurrentHashMap.newKeySet();
    final AtomicLong members = new AtomicLong();
    final AtomicLong events = new AtomicLong();
    final AtomicLong lastTimestamp = new AtomicLong();
    private volatile String job;
    private volatile boolean completed;
    volatile String failure;
    private volatile boolean running = true;
    private Thread thread;

    ChangeReader(String bootstrap, String directory) {
      this.directory = directory;
      consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, "bench-poller-" + UUID.randomUUID(),
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
          ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000"),
          new StringDeserializer(), new StringDeserializer());
      consumer.subscribe(List.of(TOPIC));
    }

    void job(String id) {
      job = id;
    }

    boolean done(Directory dir) {
      return completed && users.size() == dir.users && groups.size() == dir.groups && members.get() == dir.memberships;
    }

    void start() {
      thread = new Thread(this::loop, "source-changes-reader");
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      while (running) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
          if (!directory.equals(header(r, "ce_directoryid")) || r.value() == null) {
            continue;
          }
          String type = header(r, "ce_type");
          try {
            JsonNode data = JSON.readTree(r.value());
            if (type == null || !type.startsWith("dsync.source.") || type.equals("dsync.source.directory.changed")) {
              continue;
            }
            events.incrementAndGet();
            lastTimestamp.accumulateAndGet(r.timestamp(), Math::max);
            switch (type) {
              case "dsync.source.user.upserted" -> users.add(header(r, "ce_subject"));
              case "dsync.source.group.upserted" -> groups.add(header(r, "ce_subject"));
              case "dsync.source.group.membership_changed" -> members.addAndGet(data.path("added").size() - data.path("removed").size());
              case "dsync.source.sync_job.completed" -> {
                if (data.path("jobId").asText().equals(job)) {
                  completed = true;
                }
              }
              case "dsync.source.sync_job.failed" -> {
                if (data.path("jobId").asText().equals(job)) {
                  failure = data.path("reason").asText();
                }
              }
              default -> { }
            }
          } catch (IOException e) {
            failure = "unreadable record " + header(r, "ce_id");
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

  /** Samples the poller's RSS (/proc) and heap (its Prometheus metrics) every half second. */
  static final class MemorySampler {
    private final long pid;
    private final String metricsUrl;
    private final HttpClient http;
    private volatile boolean running;
    volatile double maxRss = -1;
    volatile double lastRss = -1;
    volatile double maxHeap = -1;
    volatile double lastHeap = -1;
    volatile double maxHeapCommitted = -1;

    MemorySampler(long pid, String metricsUrl, HttpClient http) {
      this.pid = pid;
      this.metricsUrl = metricsUrl;
      this.http = http;
    }

    void start() {
      running = true;
      Thread t = new Thread(() -> {
        while (running) {
          sample();
          LockSupport.parkNanos(500_000_000L);
        }
      }, "memory-sampler");
      t.setDaemon(true);
      t.start();
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
        // the service is busy: keep the samples we have
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---------------------------------------------------------------- output

  private static void print(List<Result> results, Map<String, Object> facts) {
    System.out.printf(Locale.ROOT, "%nPoller benchmark: complete Graph sync, %s, %d cores%n", Instant.now(), Runtime.getRuntime().availableProcessors());
    System.out.println("Time runs from the sync request to the Kafka timestamp of the last user, group, membership or job record of the run.");
    System.out.printf(Locale.ROOT, "| %-48s | %12s | %-8s | %-8s | %-4s |%n", "measure", "value", "unit", "target", "ok");
    System.out.println("|--------------------------------------------------|--------------|----------|----------|------|");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "| %-48s | %12.1f | %-8s | %-8s | %-4s |%n", r.measure(), r.value(), r.unit(), r.target(), r.ok() ? "yes" : "NO");
    }
    facts.forEach((k, v) -> System.out.printf(Locale.ROOT, "%s: %s%n", k, v instanceof Double d ? String.format(Locale.ROOT, "%.1f", d) : v));
  }

  private void write(List<Result> results, Map<String, Object> facts) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("at", Instant.now().toString());
    out.put("cores", Runtime.getRuntime().availableProcessors());
    out.put("users", dir.users);
    out.put("groups", dir.groups);
    out.put("memberships", dir.memberships);
    out.put("pageSize", pageSize);
    ArrayNode arr = out.putArray("results");
    results.forEach(r -> arr.add(JSON.valueToTree(r)));
    facts.forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
    Path file = env.out().resolve("poller-bench.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    System.out.println("wrote " + file);
  }
}
