package dev.dsync.poller.scimpull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dsync.events.EventJson;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SCIM 2.0 service provider fake on 127.0.0.1 under {@code /scim/v2}, following RFC 7644:
 * <ul>
 *   <li>3.4.2: {@code GET /Users} and {@code /Groups} answer a ListResponse with totalResults, itemsPerPage
 *       and startIndex; 3.4.2.4: 1-based {@code startIndex}, {@code count}, and a server may return fewer
 *       results than asked (its maxResults);</li>
 *   <li>3.4.2.2: {@code filter=meta.lastModified gt "..."}; a filter it cannot process is 400 {@code invalidFilter};</li>
 *   <li>4: {@code /ServiceProviderConfig} (readable without a token) with {@code filter.supported};</li>
 *   <li>3.12: errors as {@code urn:ietf:params:scim:api:messages:2.0:Error} with status as a string; 401 for a
 *       wrong bearer token; 429 with Retry-After (RFC 6585) when throttling.</li>
 * </ul>
 * Groups carry their {@code members} (value, $ref, type); users carry meta (lastModified, version) and the
 * read-only {@code groups}. Change times come from a fake clock in the past, one second per edit.
 */
public final class FakeScimServer implements AutoCloseable {

  static final String ACME = "urn:example:params:scim:schemas:extension:acme:2.0:User";
  static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  private static final Pattern FILTER = Pattern.compile("meta\\.lastModified gt \"([^\"]+)\"", Pattern.CASE_INSENSITIVE);

  private static final class Res {
    ObjectNode body;
    Instant created;
    Instant modified;
    final Map<String, String> members = new TreeMap<>();
  }

  private final HttpServer server;
  private final String token;
  private final int maxResults;
  private final Map<String, Res> users = new TreeMap<>();
  private final Map<String, Res> groups = new TreeMap<>();
  private final Deque<Integer> throttles = new ArrayDeque<>();
  private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
  private final List<Long> requestTimes = Collections.synchronizedList(new ArrayList<>());
  private Instant clock = Instant.parse("2026-02-01T10:00:00Z");
  private boolean filterSupported = true;

  /** A server that accepts {@code token} and returns at most {@code maxResults} resources per page. */
  public FakeScimServer(String token, int maxResults) {
    this.token = token;
    this.maxResults = maxResults;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/scim/v2";
  }

  // ------------------------------------------------------------------ edits

  private Instant tick() {
    clock = clock.plusSeconds(1);
    return clock;
  }

  public synchronized void putUser(String id, String userName, String given, String family, String department) {
    Res r = users.computeIfAbsent(id, k -> new Res());
    ObjectNode b = EventJson.mapper().createObjectNode();
    b.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:User").add(ENTERPRISE).add(ACME);
    b.put("id", id).put("externalId", "hr-" + id).put("userName", userName).put("displayName", given + " " + family).put("active", true);
    b.putObject("name").put("givenName", given).put("familyName", family).put("formatted", given + " " + family);
    b.putArray("emails").addObject().put("value", userName).put("type", "work").put("primary", true);
    b.putObject(ENTERPRISE).put("department", department).put("employeeNumber", "E-" + id).putObject("manager").put("value", "boss");
    b.putObject(ACME).put("badge", "B-" + id);
    r.body = b;
    r.modified = tick();
    if (r.created == null) {
      r.created = r.modified;
    }
  }

  public synchronized void updateUser(String id, String attribute, Object value) {
    Res r = users.get(id);
    r.body.set(attribute, EventJson.mapper().valueToTree(value));
    r.modified = tick();
  }

  /** A write that changes nothing but meta (lastModified, version). */
  public synchronized void touchUser(String id) {
    users.get(id).modified = tick();
  }

  public synchronized void deleteUser(String id) {
    users.remove(id);
    Instant t = tick();
    groups.values().forEach(g -> {
      if (g.members.remove(id) != null) {
        g.modified = t;
      }
    });
  }

  public synchronized void putGroup(String id, String displayName) {
    Res r = groups.computeIfAbsent(id, k -> new Res());
    ObjectNode b = EventJson.mapper().createObjectNode();
    b.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:Group");
    b.put("id", id).put("displayName", displayName).put("externalId", "hr-" + id);
    r.body = b;
    r.modified = tick();
    if (r.created == null) {
      r.created = r.modified;
    }
  }

  public synchronized void deleteGroup(String id) {
    groups.remove(id);
    tick();
  }

  public synchronized void addMember(String groupId, String memberId, String type) {
    Res g = groups.get(groupId);
    g.members.put(memberId, type);
    g.modified = tick();
  }

  public synchronized void removeMember(String groupId, String memberId) {
    Res g = groups.get(groupId);
    g.members.remove(memberId);
    g.modified = tick();
  }

  // ------------------------------------------------------------------ behaviour switches

  /** What /ServiceProviderConfig says of filtering; without it, any filter is 400 invalidFilter. */
  public synchronized void filterSupported(boolean supported) {
    filterSupported = supported;
  }

  /** The next API request answers 429 with this Retry-After (seconds). */
  public synchronized void throttleNext(int retryAfterSeconds) {
    throttles.add(retryAfterSeconds);
  }

  public List<String> requests() {
    synchronized (requests) {
      return new ArrayList<>(requests);
    }
  }

  public List<Long> requestTimes() {
    synchronized (requestTimes) {
      return new ArrayList<>(requestTimes);
    }
  }

  /** Decoded query parameters of a recorded request. */
  public static Map<String, String> params(String request) {
    int i = request.indexOf('?');
    return query(i < 0 ? null : request.substring(i + 1));
  }

  // ------------------------------------------------------------------ HTTP

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    String rawQuery = ex.getRequestURI().getRawQuery();
    synchronized (requests) {
      requests.add(path + (rawQuery == null ? "" : "?" + rawQuery));
      requestTimes.add(System.nanoTime());
    }
    synchronized (this) {
      if (path.equals("/scim/v2/ServiceProviderConfig")) {
        serviceProviderConfig(ex);
        return;
      }
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !auth.equals("Bearer " + token)) {
        send(ex, 401, error("401", null, "Authorization failure. The authorization header is invalid or missing."), Map.of());
        return;
      }
      Integer throttle = throttles.poll();
      if (throttle != null) {
        send(ex, 429, error("429", null, "Too many requests"), Map.of("Retry-After", String.valueOf(throttle)));
        return;
      }
      Map<String, String> q = query(rawQuery);
      if (path.equals("/scim/v2/Users") || path.equals("/scim/v2/Groups")) {
        list(ex, path.endsWith("Users"), q);
      } else {
        send(ex, 404, error("404", null, "Resource not found"), Map.of());
      }
    }
  }

  private void serviceProviderConfig(HttpExchange ex) throws IOException {
    ObjectNode b = EventJson.mapper().createObjectNode();
    b.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
    b.putObject("patch").put("supported", true);
    b.putObject("bulk").put("supported", false).put("maxOperations", 0).put("maxPayloadSize", 0);
    b.putObject("filter").put("supported", filterSupported).put("maxResults", maxResults);
    b.putObject("changePassword").put("supported", false);
    b.putObject("sort").put("supported", false);
    b.putObject("etag").put("supported", true);
    b.putArray("authenticationSchemes").addObject().put("type", "oauthbearertoken").put("name", "OAuth Bearer Token")
        .put("description", "Authentication scheme using the OAuth Bearer Token Standard");
    send(ex, 200, EventJson.write(b), Map.of());
  }

  private void list(HttpExchange ex, boolean isUsers, Map<String, String> q) throws IOException {
    String filter = q.get("filter");
    Instant since = null;
    if (filter != null) {
      Matcher m = FILTER.matcher(filter.trim());
      if (!filterSupported || !m.matches()) {
        send(ex, 400, error("400", "invalidFilter", "The specified filter syntax was invalid or the specified attribute and filter comparison combination is not supported."), Map.of());
        return;
      }
      since = java.time.OffsetDateTime.parse(m.group(1)).toInstant();
    }
    List<Res> all = new ArrayList<>();
    for (Res r : (isUsers ? users : groups).values()) {
      if (since == null || r.modified.isAfter(since)) {
        all.add(r);
      }
    }
    int start = Math.max(1, Integer.parseInt(q.getOrDefault("startIndex", "1")));
    int count = Math.max(0, Math.min(maxResults, Integer.parseInt(q.getOrDefault("count", String.valueOf(maxResults)))));
    ObjectNode body = EventJson.mapper().createObjectNode();
    body.putArray("schemas").add("urn:ietf:params:scim:api:messages:2.0:ListResponse");
    body.put("totalResults", all.size());
    ArrayNode resources = EventJson.mapper().createArrayNode();
    for (int i = start - 1; i < Math.min(all.size(), start - 1 + count); i++) {
      resources.add(render(all.get(i), isUsers));
    }
    body.put("itemsPerPage", resources.size());
    body.put("startIndex", start);
    body.set("Resources", resources);
    send(ex, 200, EventJson.write(body), Map.of());
  }

  private ObjectNode render(Res r, boolean isUser) {
    ObjectNode out = r.body.deepCopy();
    String id = out.get("id").asText();
    if (isUser) {
      ArrayNode memberOf = out.putArray("groups");
      groups.forEach((gid, g) -> {
        if (g.members.containsKey(id)) {
          memberOf.addObject().put("value", gid).put("$ref", baseUrl() + "/Groups/" + gid).put("display", g.body.get("displayName").asText());
        }
      });
    } else {
      ArrayNode members = out.putArray("members");
      r.members.forEach((m, type) -> members.addObject().put("value", m)
          .put("$ref", baseUrl() + (type.equals("Group") ? "/Groups/" : "/Users/") + m).put("type", type));
    }
    out.putObject("meta").put("resourceType", isUser ? "User" : "Group").put("created", r.created.toString())
        .put("lastModified", r.modified.toString()).put("location", baseUrl() + (isUser ? "/Users/" : "/Groups/") + id)
        .put("version", "W/\"" + r.modified.getEpochSecond() + "\"");
    return out;
  }

  private static String error(String status, String scimType, String detail) {
    ObjectNode e = EventJson.mapper().createObjectNode();
    e.putArray("schemas").add("urn:ietf:params:scim:api:messages:2.0:Error");
    if (scimType != null) {
      e.put("scimType", scimType);
    }
    e.put("detail", detail).put("status", status);
    return EventJson.write(e);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
      out.put(k, i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static void send(HttpExchange ex, int status, String body, Map<String, String> headers) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/scim+json");
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
