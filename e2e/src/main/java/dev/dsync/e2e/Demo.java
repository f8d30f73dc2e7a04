package dev.dsync.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The newcomer's tour: against a running platform (bin/dsync up), creates a SCIM directory and a
 * webhook endpoint, replays an Okta-style provisioning sequence, and shows each SCIM call, each
 * canonical event arriving as a verified signed webhook, and the audit trail's verification.
 *
 * <p>Usage: Demo &lt;admin JWT&gt; [scim URL] [reconciler URL] [webhooks URL] [audit URL]
 */
public final class Demo {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the tour saw, for the summary table and for the end-to-end test. */
  public record Summary(
      int scimCalls, int scimFailures, int webhooksReceived, int webhooksVerified, Map<String, Integer> eventTypes,
      int identities, int groups, boolean auditValid, long auditRecords, String directoryId) {}

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String admin;
  private final String scimUrl;
  private final String reconcilerUrl;
  private final String webhooksUrl;
  private final String auditUrl;
  private final boolean quiet;
  private int scimCalls;
  private int scimFailures;

  public Demo(String admin, String scimUrl, String reconcilerUrl, String webhooksUrl, String auditUrl, boolean quiet) {
    this.admin = admin;
    this.scimUrl = scimUrl;
    this.reconcilerUrl = reconcilerUrl;
    this.webhooksUrl = webhooksUrl;
    this.auditUrl = auditUrl;
    this.quiet = quiet;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: Demo <admin JWT> [scim URL] [reconciler URL] [webhooks URL] [audit URL]");
      System.exit(2);
    }
    Demo demo = new Demo(args[0], arg(args, 1, "http://127.0.0.1:8081"), arg(args, 2, "http://127.0.0.1:8082"),
        arg(args, 3, "http://127.0.0.1:8083"), arg(args, 4, "http://127.0.0.1:8084"), false);
    Summary s = demo.run();
    boolean ok = s.scimFailures() == 0 && s.webhooksReceived() > 0 && s.webhooksVerified() == s.webhooksReceived() && s.auditValid();
    System.exit(ok ? 0 : 1);
  }

  public Summary run() throws Exception {
    try (WebhookReceiver receiver = new WebhookReceiver()) {
      say("== 1. A SCIM directory for the demo tenant");
      JsonNode dir = admin("POST", scimUrl + "/api/v1/scim-directories", "{\"name\":\"Okta (demo)\"}", 201);
      String directoryId = dir.path("directory").path("id").asText();
      String token = dir.path("token").path("token").asText();
      String scim = dir.path("directory").path("scimBaseUrl").asText();
      say("   directory %s, SCIM base URL %s, bearer token %s...", directoryId, scim, token.substring(0, 16));

      say("== 2. A webhook endpoint (the SaaS app) on %s", receiver.url());
      JsonNode endpoint = admin("POST", webhooksUrl + "/api/v1/webhook-endpoints",
          "{\"url\":\"" + receiver.url() + "\",\"description\":\"demo receiver\",\"directoryIds\":[\"" + directoryId + "\"]}", 201);
      receiver.secret(endpoint.path("secret").asText());
      receiver.onDelivery(d -> say("   <- webhook %s %-24s signature %s", d.webhookId().substring(0, 8), type(d.body()), d.verified() ? "verified" : "INVALID"));

      say("== 3. Okta provisions users and groups over SCIM");
      String alice = create(scim, token, "/Users", user("alice", "Alice", "Liddell", "Engineering"));
      String bob = create(scim, token, "/Users", user("bob", "Bob", "Builder", "Sales"));
      String carol = create(scim, token, "/Users", user("carol", "Carol", "Jensen", "Engineering"));
      scim(scim, token, "GET", "/Users?filter=" + java.net.URLEncoder.encode("userName eq \"alice@demo.example\"", "UTF-8"), null, 200);
      String eng = create(scim, token, "/Groups", "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],\"displayName\":\"Engineering\"}");
      scim(scim, token, "PATCH", "/Groups/" + eng, patch("add", "members", "[{\"value\":\"" + alice + "\"},{\"value\":\"" + carol + "\"},{\"value\":\"" + bob + "\"}]"), 204);
      scim(scim, token, "PATCH", "/Groups/" + eng, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"remove\",\"path\":\"members[value eq \\\"" + bob + "\\\"]\"}]}", 204);
      scim(scim, token, "PATCH", "/Groups/" + eng, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"value\":{\"id\":\"" + eng + "\",\"displayName\":\"Engineering (all)\"}}]}", 204);
      scim(scim, token, "PUT", "/Users/" + carol, user("carol", "Carol", "Jensen-Smith", "Engineering"), 200);
      scim(scim, token, "PATCH", "/Users/" + bob, "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"replace\",\"value\":{\"active\":false}}]}", 200);

      say("== 4. Waiting for canonical events to arrive as signed webhooks");
      boolean settled = waitFor(Duration.ofSeconds(90), () -> {
        Map<String, Integer> types = types(receiver);
        return types.getOrDefault("dsync.user.created", 0) >= 3 && types.getOrDefault("dsync.group.user_added", 0) >= 3
            && types.getOrDefault("dsync.group.user_removed", 0) >= 1 && types.getOrDefault("dsync.user.updated", 0) >= 2
            && types.getOrDefault("dsync.group.updated", 0) >= 1;
      });
      if (!settled) {
        say("   not every expected webhook arrived within 90 s; see .dsync/logs/*.log");
      }

      say("== 5. Canonical state (reconciler) and the audit trail (audit-service)");
      JsonNode identities = admin("GET", reconcilerUrl + "/api/v1/identities?directoryId=" + directoryId, null, 200);
      JsonNode groups = admin("GET", reconcilerUrl + "/api/v1/groups?directoryId=" + directoryId, null, 200);
      int identityCount = items(identities).size();
      int groupCount = items(groups).size();
      for (JsonNode i : items(identities)) {
        say("   identity %-22s %s", i.path("userName").asText(), i.path("state").asText());
      }
      waitFor(Duration.ofSeconds(30), () -> {
        try {
          return admin("GET", auditUrl + "/api/v1/audit/records?directoryId=" + directoryId + "&limit=1", null, 200).path("items").size() > 0;
        } catch (Exception e) {
          return false;
        }
      });
      JsonNode verify = admin("GET", auditUrl + "/api/v1/audit/verify", null, 200);
      boolean valid = verify.path("valid").asBoolean(false);
      long checked = verify.path("checkedRecords").asLong();
      say("   audit chain: %s over %d records", valid ? "valid" : "BROKEN " + verify.path("firstBreak"), checked);

      List<WebhookReceiver.Delivery> got = receiver.deliveries();
      int verified = (int) got.stream().filter(WebhookReceiver.Delivery::verified).count();
      Summary s = new Summary(scimCalls, scimFailures, got.size(), verified, types(receiver), identityCount, groupCount, valid, checked, directoryId);
      summary(s);
      return s;
    }
  }

  private void summary(Summary s) {
    say("");
    say("| %-34s | %-12s |", "what", "result");
    say("|------------------------------------|--------------|");
    say("| %-34s | %-12s |", "SCIM calls (failed)", s.scimCalls() + " (" + s.scimFailures() + ")");
    say("| %-34s | %-12s |", "webhooks received / verified", s.webhooksReceived() + " / " + s.webhooksVerified());
    s.eventTypes().forEach((t, n) -> say("| %-34s | %-12d |", "  " + t, n));
    say("| %-34s | %-12s |", "identities / groups (reconciler)", s.identities() + " / " + s.groups());
    say("| %-34s | %-12s |", "audit chain", (s.auditValid() ? "valid" : "BROKEN") + " (" + s.auditRecords() + ")");
  }

  private String create(String scim, String token, String path, String body) throws Exception {
    return scim(scim, token, "POST", path, body, 201).path("id").asText();
  }

  private JsonNode scim(String scim, String token, String method, String path, String body, int expect) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(scim + path)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/scim+json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    scimCalls++;
    boolean ok = r.statusCode() == expect;
    if (!ok) {
      scimFailures++;
    }
    say("   -> %-6s %-48s %d%s", method, shorten(path), r.statusCode(), ok ? "" : "  (expected " + expect + "): " + r.body());
    return r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
  }

  private JsonNode admin(String method, String url, String body, int expect) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + admin)
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expect) {
      throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
  }

  private static List<JsonNode> items(JsonNode page) {
    List<JsonNode> out = new ArrayList<>();
    JsonNode arr = page.isArray() ? page : page.has("items") ? page.get("items") : page.path("data");
    arr.forEach(out::add);
    return out;
  }

  private static Map<String, Integer> types(WebhookReceiver receiver) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (WebhookReceiver.Delivery d : receiver.deliveries()) {
      out.merge(type(d.body()), 1, Integer::sum);
    }
    return out;
  }

  private static String type(String body) {
    try {
      return JSON.readTree(body).path("type").asText();
    } catch (IOException e) {
      return "?";
    }
  }

  private static boolean waitFor(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(250);
    }
    return condition.getAsBoolean();
  }

  private static String user(String name, String given, String family, String department) {
    return "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\",\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"
        + "\"userName\":\"" + name + "@demo.example\",\"externalId\":\"00u" + name + "\",\"name\":{\"givenName\":\"" + given + "\",\"familyName\":\"" + family + "\"},"
        + "\"displayName\":\"" + given + " " + family + "\",\"active\":true,\"emails\":[{\"value\":\"" + name + "@demo.example\",\"type\":\"work\",\"primary\":true}],"
        + "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"" + department + "\"}}";
  }

  private static String patch(String op, String path, String valueJson) {
    return "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"" + op + "\",\"path\":\"" + path + "\",\"value\":" + valueJson + "}]}";
  }

  private static String shorten(String path) {
    return path.length() > 48 ? path.substring(0, 45) + "..." : path;
  }

  private static String arg(String[] args, int i, String fallback) {
    return args.length > i ? args[i] : fallback;
  }

  private void say(String format, Object... args) {
    if (!quiet) {
      System.out.println(String.format(Locale.ROOT, format, args));
    }
  }
}
