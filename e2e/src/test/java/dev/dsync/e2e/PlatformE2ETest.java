package dev.dsync.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.net.URLEncoder;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole platform as separate processes, started the way a newcomer starts it (bin/dsync up,
 * from the jars this build made, on ports shifted by 1000 and in its own state directory), then
 * driven through SCIM: events must come out as webhooks whose signatures an independent receiver
 * verifies, canonical state must match, and the audit chain must verify.
 */
class PlatformE2ETest {

  static Path root;
  static Path home;

  @BeforeAll
  static void up() throws Exception {
    root = Path.of("").toAbsolutePath().getParent();
    home = Files.createTempDirectory("dsync-e2e-");
    run(List.of("bin/dsync", "up"), 300);
  }

  @AfterAll
  static void down() throws Exception {
    run(List.of("bin/dsync", "down"), 120);
    assertThat(Files.exists(home.resolve("devstack/devstack.properties"))).isFalse();
  }

  @Test
  void scim_push_becomes_verified_webhooks_canonical_state_and_a_valid_audit_chain() throws Exception {
    String token = run(List.of("bin/dsync", "token", "--tenant", "e2e-" + System.nanoTime(), "--role", "tenant-admin"), 60).trim();
    Demo demo = new Demo(token, url(8081), url(8082), url(8083), url(8084), true);
    Demo.Summary s = demo.run();

    assertThat(s.scimFailures()).isZero();
    assertThat(s.webhooksReceived()).isGreaterThanOrEqualTo(11);
    assertThat(s.webhooksVerified()).as("every delivery's signature verifies").isEqualTo(s.webhooksReceived());
    assertThat(s.eventTypes()).containsEntry("dsync.user.created", 3).containsEntry("dsync.group.user_added", 3)
        .containsEntry("dsync.group.user_removed", 1).containsEntry("dsync.group.created", 1);
    assertThat(s.eventTypes().get("dsync.user.updated")).as("a rename and a deactivation").isEqualTo(2);
    assertThat(s.identities()).isEqualTo(3);
    assertThat(s.groups()).isEqualTo(1);
    assertThat(s.auditValid()).isTrue();
    assertThat(s.auditRecords()).isGreaterThan(10);
  }

  /**
   * A stream of SCIM creates from 8 clients while each service is killed with -9 in turn:
   * ingest-scim (after it has answered), the reconciler, the webhook-dispatcher and the
   * audit-service (all mid-stream). Clients retry what was not answered, as Okta and Entra do. After
   * restart, every written user exists exactly once in canonical state, has exactly one source and
   * one identity audit record, and reached the receiver under exactly one webhook-id.
   */
  @Test
  void services_killed_mid_stream_lose_nothing_and_duplicate_nothing() throws Exception {
    String[] victims = {"ingest-scim", "reconciler", "webhook-dispatcher", "audit-service"};
    streamThrough(Integer.getInteger("dsync.e2e.crash-writes", 5000), victims.length, i -> {
      kill(victims[i]);
      if (victims[i].equals("ingest-scim")) {
        run(List.of("bin/dsync", "up"), 300); // the clients are retrying against it
      }
    });
  }

  /**
   * The broker, then PostgreSQL, stopped for 5 s and started again (same data) during a stream of
   * SCIM writes: the services are not restarted and must recover by themselves; nothing
   * acknowledged may be lost or applied twice.
   */
  @Test
  void broker_and_database_restarts_mid_stream_lose_nothing_and_duplicate_nothing() throws Exception {
    String[] servers = {"kafka", "postgres"};
    streamThrough(Integer.getInteger("dsync.e2e.restart-writes", 2000), servers.length,
        i -> run(List.of("bin/dsync", "restart", servers[i], "5"), 300));
  }

  interface Disruption {
    void at(int index) throws Exception;
  }

  /**
   * Writes {@code total} users from 8 retrying clients while {@code disruptions} happen at evenly
   * spaced points, then brings back anything stopped and checks: every written user reached the
   * receiver under exactly one webhook-id with a valid signature, exists once in canonical state, and
   * has exactly one source and one identity audit record; the audit chain verifies.
   */
  void streamThrough(int total, int disruptions, Disruption disruption) throws Exception {
    String tenant = "stream-" + System.nanoTime();
    String admin = run(List.of("bin/dsync", "token", "--tenant", tenant, "--role", "tenant-admin"), 60).trim();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    JsonNode dir = call(http, admin, "POST", url(8081) + "/api/v1/scim-directories", "{\"name\":\"stream\"}");
    String directoryId = dir.path("directory").path("id").asText();
    String scim = dir.path("directory").path("scimBaseUrl").asText();
    String token = dir.path("token").path("token").asText();
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      JsonNode endpoint = call(http, admin, "POST", url(8083) + "/api/v1/webhook-endpoints",
          "{\"url\":\"" + receiver.url() + "\",\"eventTypes\":[\"dsync.user.created\"],\"directoryIds\":[\"" + directoryId + "\"]}");
      receiver.secret(endpoint.path("secret").asText());

      Map<String, String> written = new ConcurrentHashMap<>(); // userName -> SCIM id
      AtomicInteger next = new AtomicInteger();
      AtomicInteger answered = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(8);
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        running.add(clients.submit(() -> {
          for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
            String userName = "c" + i + "@" + tenant + ".example";
            written.put(userName, createRetrying(http, scim, token, userName));
            answered.incrementAndGet();
          }
          return null;
        }));
      }
      for (int v = 0; v < disruptions; v++) {
        int at = total * (v + 1) / (disruptions + 1);
        while (answered.get() < at && running.stream().anyMatch(f -> !f.isDone())) {
          Thread.sleep(20);
        }
        disruption.at(v);
      }
      for (Future<?> f : running) {
        f.get(10, TimeUnit.MINUTES);
      }
      clients.shutdown();
      assertThat(written).hasSize(total);
      run(List.of("bin/dsync", "up"), 300);

      Map<String, Set<String>> webhookIds = new HashMap<>();
      long deadline = System.currentTimeMillis() + 300_000;
      while (System.currentTimeMillis() < deadline) {
        webhookIds.clear();
        for (WebhookReceiver.Delivery d : receiver.deliveries()) {
          String userName = JSON.readTree(d.body()).path("data").path("user").path("userName").asText();
          webhookIds.computeIfAbsent(userName, k -> new HashSet<>()).add(d.webhookId());
        }
        if (webhookIds.keySet().containsAll(written.keySet())) {
          break;
        }
        Thread.sleep(1000);
      }
      assertThat(webhookIds.keySet()).as("every written user reached the receiver").containsAll(written.keySet());
      assertThat(webhookIds.values()).as("one webhook-id per event").allSatisfy(ids -> assertThat(ids).hasSize(1));
      assertThat(receiver.deliveries()).allSatisfy(d -> assertThat(d.verified()).isTrue());

      Map<String, Integer> canonical = new HashMap<>();
      String cursor = null;
      do {
        JsonNode page = call(http, admin, "GET", url(8082) + "/api/v1/identities?directoryId=" + directoryId
            + "&limit=200" + (cursor == null ? "" : "&cursor=" + cursor), null);
        page.path("items").forEach(u -> canonical.merge(u.path("userName").asText(), 1, Integer::sum));
        cursor = page.path("nextCursor").isTextual() ? page.path("nextCursor").asText() : null;
      } while (cursor != null);
      assertThat(canonical.keySet()).as("canonical state holds every written user").isEqualTo(written.keySet());
      assertThat(canonical.values()).as("and each once").allSatisfy(n -> assertThat(n).isEqualTo(1));

      // The audit trail catches up last (it consumes every topic): wait for it, then count exactly.
      Map<String, Integer> sourceRecords = new HashMap<>();
      int identityRecords = 0;
      while (System.currentTimeMillis() < deadline + 120_000) {
        sourceRecords = countByEntity(http, admin, directoryId, "dsync.source.user.upserted");
        identityRecords = countByEntity(http, admin, directoryId, "dsync.user.created").values().stream().mapToInt(Integer::intValue).sum();
        if (sourceRecords.keySet().containsAll(written.values()) && identityRecords >= total) {
          break;
        }
        Thread.sleep(2000);
      }
      assertThat(sourceRecords.keySet()).as("every written user has its source audit record").containsAll(written.values());
      assertThat(sourceRecords.values()).as("exactly once").allSatisfy(n -> assertThat(n).isEqualTo(1));
      assertThat(identityRecords).as("one identity audit record per user").isEqualTo(total);
      assertThat(call(http, admin, "GET", url(8084) + "/api/v1/audit/verify", null).path("valid").asBoolean()).isTrue();
    }
  }

  /**
   * Okta deprovisions by PATCHing active=false. 120 users deactivated at once is over the default
   * push window (100 rows or 5 % per 10 minutes): the first 100 go through, then the directory is
   * paused by a BLOCKED job that the admin API and the audit trail show; resume applies the rest.
   */
  @Test
  void a_mass_deactivation_through_scim_is_blocked_visible_and_applied_on_resume() throws Exception {
    int users = 120;
    String tenant = "mass-" + System.nanoTime();
    String admin = run(List.of("bin/dsync", "token", "--tenant", tenant, "--role", "tenant-admin"), 60).trim();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    JsonNode dir = call(http, admin, "POST", url(8081) + "/api/v1/scim-directories", "{\"name\":\"mass\"}");
    String directoryId = dir.path("directory").path("id").asText();
    String scim = dir.path("directory").path("scimBaseUrl").asText();
    String token = dir.path("token").path("token").asText();
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      JsonNode endpoint = call(http, admin, "POST", url(8083) + "/api/v1/webhook-endpoints",
          "{\"url\":\"" + receiver.url() + "\",\"eventTypes\":[\"dsync.user.created\",\"dsync.user.updated\"],\"directoryIds\":[\"" + directoryId + "\"]}");
      receiver.secret(endpoint.path("secret").asText());
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < users; i++) {
        ids.add(createRetrying(http, scim, token, "m" + i + "@mass.example"));
      }
      awaitDeliveries(receiver, "dsync.user.created", users);

      String deactivate = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"value\":{\"active\":false}}]}";
      for (String id : ids) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(scim + "/Users/" + id)).header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/scim+json").method("PATCH", HttpRequest.BodyPublishers.ofString(deactivate)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("SCIM accepts the PATCH; the pause is the reconciler's").isEqualTo(200);
      }
      String jobs = url(8082) + "/api/v1/sync-jobs?directoryId=" + directoryId + "&status=BLOCKED";
      JsonNode blocked = awaitJson(http, admin, jobs, page -> page.path("items").size() == 1).path("items").path(0);
      assertThat(blocked.path("kind").asText()).isEqualTo("PUSH");
      String jobId = blocked.path("id").asText();
      awaitJson(http, admin, url(8082) + "/api/v1/sync-jobs/" + jobId + "/changes?limit=200", page -> page.path("items").size() == users - 100);
      awaitDeliveries(receiver, "dsync.user.updated", 100);
      Thread.sleep(2000); // nothing beyond the window may trickle through
      assertThat(count(receiver, "dsync.user.updated")).isEqualTo(100);
      assertThat(call(http, admin, "GET", url(8082) + "/api/v1/identities?directoryId=" + directoryId + "&state=active&limit=200", null)
          .path("items").size()).isEqualTo(users - 100);
      awaitJson(http, admin, url(8084) + "/api/v1/audit/records?action=sync_job.blocked&entityId=" + jobId, page -> page.path("items").size() == 1);

      call(http, admin, "POST", url(8082) + "/api/v1/sync-jobs/" + jobId + "/resume", null);
      awaitDeliveries(receiver, "dsync.user.updated", users);
      assertThat(call(http, admin, "GET", url(8082) + "/api/v1/identities?directoryId=" + directoryId + "&state=active&limit=200", null)
          .path("items").size()).isZero();
      assertThat(receiver.deliveries()).allSatisfy(d -> assertThat(d.verified()).isTrue());
    }
  }

  /**
   * The poller's SCIM pull against ingest-scim itself: one tenant's SCIM directory is the upstream
   * server another tenant's poller connection reads. A complete run brings its users, group and
   * memberships into the second tenant's canonical state; after a rename upstream, an incremental
   * run carries only that change.
   */
  @Test
  void scim_pull_from_ingest_scim_reaches_canonical_state_and_incremental_carries_a_rename() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String upstreamAdmin = run(List.of("bin/dsync", "token", "--tenant", "upstream-" + System.nanoTime(), "--role", "tenant-admin"), 60).trim();
    String admin = run(List.of("bin/dsync", "token", "--tenant", "pull-" + System.nanoTime(), "--role", "tenant-admin"), 60).trim();
    JsonNode dir = call(http, upstreamAdmin, "POST", url(8081) + "/api/v1/scim-directories", "{\"name\":\"upstream\"}");
    String scim = dir.path("directory").path("scimBaseUrl").asText();
    String scimToken = dir.path("token").path("token").asText();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(createRetrying(http, scim, scimToken, "p" + i + "@upstream.example"));
    }
    HttpResponse<String> group = http.send(HttpRequest.newBuilder(URI.create(scim + "/Groups")).header("Authorization", "Bearer " + scimToken)
        .header("Content-Type", "application/scim+json").POST(HttpRequest.BodyPublishers.ofString(
            "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"Pulled\",\"members\":[{\"value\":\"" + ids.get(0)
                + "\"},{\"value\":\"" + ids.get(1) + "\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(group.statusCode()).isEqualTo(201);

    JsonNode connection = call(http, admin, "POST", url(8085) + "/api/v1/connections",
        "{\"name\":\"pull\",\"type\":\"scim-pull\",\"settings\":{\"baseUrl\":\"" + scim + "\"},\"credentials\":{\"token\":\"" + scimToken + "\"}}");
    String directoryId = connection.path("id").asText();
    syncNow(http, admin, directoryId, "complete");
    String identities = url(8082) + "/api/v1/identities?directoryId=" + directoryId + "&limit=50";
    awaitJson(http, admin, identities, page -> page.path("items").size() == 3);
    JsonNode groups = awaitJson(http, admin, url(8082) + "/api/v1/groups?directoryId=" + directoryId, page -> page.path("items").size() == 1);
    String groupId = groups.path("items").path(0).path("id").asText();
    awaitJson(http, admin, url(8082) + "/api/v1/groups/" + groupId, detail -> detail.path("members").size() == 2);

    HttpResponse<String> rename = http.send(HttpRequest.newBuilder(URI.create(scim + "/Users/" + ids.get(2))).header("Authorization", "Bearer " + scimToken)
        .header("Content-Type", "application/scim+json").method("PATCH", HttpRequest.BodyPublishers.ofString(
            "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"Renamed Upstream\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(rename.statusCode()).isEqualTo(200);
    syncNow(http, admin, directoryId, "incremental");
    awaitJson(http, admin, identities, page -> {
      for (JsonNode u : page.path("items")) {
        if ("Renamed Upstream".equals(u.path("displayName").asText())) {
          return true;
        }
      }
      return false;
    });
    // The scheduler may run an incremental of its own next to the one asked for: across all the
    // incrementals, the rename is carried exactly once and nothing else is.
    JsonNode jobs = awaitJson(http, admin, url(8085) + "/api/v1/connections/" + directoryId + "/jobs",
        list -> list.size() >= 2 && list.path(0).path("status").asText().equals("COMPLETED") && incrementalUpserts(list) >= 1);
    assertThat(incrementalUpserts(jobs)).as("only the renamed user: " + jobs).isEqualTo(1);
  }

  private static long incrementalUpserts(JsonNode jobs) {
    long upserts = 0;
    for (JsonNode job : jobs) {
      if ("incremental".equalsIgnoreCase(job.path("mode").asText())) {
        upserts += job.path("counters").path("usersUpserted").asLong();
      }
    }
    return upserts;
  }

  /** Queues a sync; a 409 means the scheduler already queued the connection's first run, which serves as well. */
  static void syncNow(HttpClient http, String admin, String connectionId, String mode) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url(8085) + "/api/v1/connections/" + connectionId + "/sync?mode=" + mode))
          .header("Authorization", "Bearer " + admin).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 202 || (r.statusCode() == 409 && mode.equals("complete"))) {
        return;
      }
      assertThat(r.statusCode()).as("sync " + mode + ": " + r.body()).isEqualTo(409);
      assertThat(System.currentTimeMillis()).as("a job of the connection still runs: " + r.body()).isLessThan(deadline);
      Thread.sleep(500);
    }
  }

  static long count(WebhookReceiver receiver, String type) throws Exception {
    long n = 0;
    for (WebhookReceiver.Delivery d : receiver.deliveries()) {
      if (type.equals(JSON.readTree(d.body()).path("type").asText())) {
        n++;
      }
    }
    return n;
  }

  static void awaitDeliveries(WebhookReceiver receiver, String type, long expected) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (count(receiver, type) < expected && System.currentTimeMillis() < deadline) {
      Thread.sleep(250);
    }
    assertThat(count(receiver, type)).as(type + " deliveries").isEqualTo(expected);
  }

  static JsonNode awaitJson(HttpClient http, String token, String url, java.util.function.Predicate<JsonNode> done) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    JsonNode page = call(http, token, "GET", url, null);
    while (!done.test(page) && System.currentTimeMillis() < deadline) {
      Thread.sleep(250);
      page = call(http, token, "GET", url, null);
    }
    assertThat(done.test(page)).as("GET " + url + " -> " + page).isTrue();
    return page;
  }

  /** POST a user until the platform answers; a 409 after a lost answer means the first try landed. */
  static String createRetrying(HttpClient http, String scim, String token, String userName) throws Exception {
    String body = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"" + userName
        + "\",\"active\":true,\"emails\":[{\"value\":\"" + userName + "\",\"primary\":true}]}";
    for (int attempt = 0; ; attempt++) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(scim + "/Users")).timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token).header("Content-Type", "application/scim+json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 201) {
          return JSON.readTree(r.body()).path("id").asText();
        }
        if (r.statusCode() == 409 && attempt > 0) {
          HttpResponse<String> found = http.send(HttpRequest.newBuilder(URI.create(scim + "/Users?filter="
              + URLEncoder.encode("userName eq \"" + userName + "\"", StandardCharsets.UTF_8))).header("Authorization", "Bearer " + token).build(),
              HttpResponse.BodyHandlers.ofString());
          return JSON.readTree(found.body()).path("Resources").path(0).path("id").asText();
        }
        if (r.statusCode() < 500 && r.statusCode() != 429) {
          throw new IllegalStateException("POST " + userName + " -> " + r.statusCode() + " " + r.body());
        }
      } catch (IOException e) {
        // connection refused or reset while ingest-scim is down: retry, as an IdP would
      }
      if (attempt > 600) {
        throw new IllegalStateException("ingest-scim did not come back for " + userName);
      }
      Thread.sleep(250);
    }
  }

  static Map<String, Integer> countByEntity(HttpClient http, String admin, String directoryId, String eventType) throws Exception {
    HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create(url(8084)
        + "/api/v1/audit/export?directoryId=" + directoryId + "&eventType=" + eventType)).header("Authorization", "Bearer " + admin)
        .header("Accept", "application/x-ndjson").build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, Integer> counts = new HashMap<>();
    try (var lines = r.body()) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (!line.isBlank()) {
          counts.merge(JSON.readTree(line).path("entity").path("id").asText(), 1, Integer::sum);
        }
      }
    }
    return counts;
  }

  static final ObjectMapper JSON = new ObjectMapper();

  static void kill(String service) throws Exception {
    long pid = Long.parseLong(Files.readString(home.resolve("pids/" + service + ".pid")).trim());
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
  }

  static JsonNode call(HttpClient http, String token, String method, String url, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + url + " -> " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /** Ports are shifted so a platform started by hand (or a second checkout's test run) is not in the way. */
  static final int OFFSET = Integer.getInteger("dsync.e2e.port-offset", 1000);

  static String url(int port) {
    return "http://127.0.0.1:" + (port + OFFSET);
  }

  static String run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
    pb.environment().put("DSYNC_HOME", home.toString());
    pb.environment().put("DSYNC_PORT_OFFSET", Integer.toString(OFFSET));
    pb.environment().put("DSYNC_NO_BUILD", "1");
    // Clients here write faster than the default per-directory limit; the limiter has its own test.
    pb.environment().put("DSYNC_SCIM_RATE_LIMIT", "1000000");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " timed out");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(command + " failed (" + p.exitValue() + "):\n" + text + tail(home.resolve("logs")));
    }
    return text;
  }

  static String tail(Path logs) throws IOException {
    if (!Files.isDirectory(logs)) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    try (var files = Files.list(logs)) {
      for (Path f : files.toList()) {
        List<String> lines = Files.readAllLines(f);
        sb.append("\n--- ").append(f.getFileName()).append('\n');
        lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
      }
    }
    return sb.toString();
  }
}
