package dev.dsync.poller.okta;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dsync.events.EventJson;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
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
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small Okta management API fake on 127.0.0.1, following developer.okta.com:
 * <ul>
 *   <li>"Pagination": lists answer a {@code Link: <...>; rel="self"} and, while there is more, a separate
 *       {@code Link: <...after=...>; rel="next"} header keeping limit and filter;</li>
 *   <li>User API "List all users": without a filter DEPROVISIONED users are left out; {@code filter=lastUpdated gt "..."}
 *       returns users of every status; Group API: {@code filter=lastUpdated gt "..." or lastMembershipUpdated gt "..."};
 *       {@code /groups/{id}/users} lists a group's members;</li>
 *   <li>"Rate limits": every response carries X-Rate-Limit-Limit/Remaining/Reset (Reset in UTC epoch seconds);
 *       over the limit, 429 E0000047 with Remaining 0 and no Retry-After;</li>
 *   <li>"Error codes": 401 E0000011 "Invalid token provided" for a wrong SSWS token, 403 E0000006, 404 E0000007,
 *       400 E0000031 for a filter it cannot parse.</li>
 * </ul>
 * Change times come from a fake clock in the past, one second per edit.
 */
public final class FakeOkta implements AutoCloseable {

  private static final Pattern CLAUSE = Pattern.compile("(lastUpdated|lastMembershipUpdated) gt \"([^\"]+)\"");

  private static final class User {
    String id;
    String status = "ACTIVE";
    Instant created;
    Instant lastUpdated;
    ObjectNode profile;
  }

  private static final class Group {
    String id;
    String type = "OKTA_GROUP";
    Instant created;
    Instant lastUpdated;
    Instant lastMembershipUpdated;
    ObjectNode profile;
    final TreeSet<String> members = new TreeSet<>();
  }

  private final HttpServer server;
  private final String token;
  private final Map<String, User> users = new TreeMap<>();
  private final Map<String, Group> groups = new TreeMap<>();
  private final Deque<Long> throttles = new ArrayDeque<>();
  private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
  private final List<Long> requestTimes = Collections.synchronizedList(new ArrayList<>());
  private Instant clock = Instant.parse("2026-01-05T08:00:00.000Z");
  private int exhaustAt = -1;
  private boolean forbidGroups;
  private String linkBase;

  public FakeOkta(String token) {
    this.token = token;
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
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  // ------------------------------------------------------------------ org edits

  /** Okta's timestamp form: UTC with milliseconds, 2013-07-02T21:36:25.344Z. */
  static String iso(Instant t) {
    return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC).format(t);
  }

  private Instant tick() {
    clock = clock.plusSeconds(1);
    return clock;
  }

  /** An ACTIVE user with the base profile attributes and one custom attribute. */
  public synchronized void putUser(String id, String login, String first, String last, String department) {
    User u = users.computeIfAbsent(id, k -> new User());
    u.id = id;
    ObjectNode p = EventJson.mapper().createObjectNode();
    p.put("login", login).put("email", login).put("firstName", first).put("lastName", last).put("displayName", first + " " + last)
        .put("title", (String) null).put("department", department).put("employeeNumber", "E-" + id).put("costCenter", "CC-7")
        .put("organization", "Acme").put("division", "EMEA").put("managerId", "00u-boss").put("manager", "Big Boss")
        .put("mobilePhone", (String) null).put("primaryPhone", "+1 555 0100").put("badgeColour", "blue");
    u.profile = p;
    u.status = "ACTIVE";
    u.lastUpdated = tick();
    if (u.created == null) {
      u.created = u.lastUpdated;
    }
  }

  public synchronized void updateUser(String id, Map<String, String> profile) {
    User u = users.get(id);
    profile.forEach(u.profile::put);
    u.lastUpdated = tick();
  }

  /** Saves the user without a change (Okta still moves lastUpdated). */
  public synchronized void touchUser(String id) {
    users.get(id).lastUpdated = tick();
  }

  /** Deactivates: status DEPROVISIONED; group memberships stay, as in Okta. */
  public synchronized void deprovision(String id) {
    User u = users.get(id);
    u.status = "DEPROVISIONED";
    u.lastUpdated = tick();
  }

  /** Deletes a user for good (after deactivation); no listing shows it any more. */
  public synchronized void deleteUser(String id) {
    users.remove(id);
    Instant t = tick();
    groups.values().forEach(g -> {
      if (g.members.remove(id)) {
        g.lastMembershipUpdated = t;
      }
    });
  }

  public synchronized void putGroup(String id, String name) {
    Group g = groups.computeIfAbsent(id, k -> new Group());
    g.id = id;
    g.profile = EventJson.mapper().createObjectNode().put("name", name).put("description", "group " + name);
    g.lastUpdated = tick();
    if (g.created == null) {
      g.created = g.lastUpdated;
    }
  }

  public synchronized void deleteGroup(String id) {
    groups.remove(id);
    tick();
  }

  public synchronized void addMember(String groupId, String userId) {
    Group g = groups.get(groupId);
    if (g.members.add(userId)) {
      g.lastMembershipUpdated = tick();
    }
  }

  public synchronized void removeMember(String groupId, String userId) {
    Group g = groups.get(groupId);
    if (g.members.remove(userId)) {
      g.lastMembershipUpdated = tick();
    }
  }

  // ------------------------------------------------------------------ behaviour switches

  /** The next API request answers 429 E0000047 with X-Rate-Limit-Reset this many seconds ahead. */
  public synchronized void throttleNext(long resetInSeconds) {
    throttles.add(resetInSeconds);
  }

  /** The n-th API request from now (1 = the next) is served, but says the window is used up until the next reset. */
  public synchronized void exhaustWindowAt(int n) {
    exhaustAt = requests().size() + n;
  }

  /** Groups answer 403 E0000006, as for a token whose administrator may read users but not groups. */
  public synchronized void forbidGroups() {
    forbidGroups = true;
  }

  /** Next links point at another origin (a misbehaving proxy or a tampered response). */
  public synchronized void linksTo(String otherBase) {
    linkBase = otherBase;
  }

  /** Every API request as path?query, in order. */
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

  /** The filters the users listing was asked for, in order. */
  public List<String> userFilters() {
    return requests().stream().filter(r -> r.startsWith("/api/v1/users?")).map(r -> query(r.substring(r.indexOf('?') + 1)).get("filter"))
        .filter(f -> f != null).toList();
  }

  // ------------------------------------------------------------------ HTTP

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    String rawQuery = ex.getRequestURI().getRawQuery();
    int n;
    synchronized (requests) {
      requests.add(path + (rawQuery == null ? "" : "?" + rawQuery));
      requestTimes.add(System.nanoTime());
      n = requests.size();
    }
    long nowSec = System.currentTimeMillis() / 1000;
    Map<String, String> limits = new LinkedHashMap<>();
    limits.put("X-Rate-Limit-Limit", "600");
    limits.put("X-Rate-Limit-Remaining", "599");
    limits.put("X-Rate-Limit-Reset", String.valueOf(nowSec + 60));
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth == null || !auth.equals("SSWS " + token)) {
      send(ex, 401, error("E0000011", "Invalid token provided"), limits, List.of());
      return;
    }
    Long throttle;
    boolean exhaust;
    boolean noGroups;
    synchronized (this) {
      throttle = throttles.poll();
      exhaust = n == exhaustAt;
      noGroups = forbidGroups;
    }
    if (throttle != null) {
      limits.put("X-Rate-Limit-Remaining", "0");
      limits.put("X-Rate-Limit-Reset", String.valueOf(nowSec + throttle));
      send(ex, 429, error("E0000047", "API call exceeded rate limit due to too many requests."), limits, List.of());
      return;
    }
    if (exhaust) {
      limits.put("X-Rate-Limit-Remaining", "0");
      limits.put("X-Rate-Limit-Reset", String.valueOf(nowSec + 2));
    }
    Map<String, String> q = query(rawQuery);
    int limit = Math.min(200, Integer.parseInt(q.getOrDefault("limit", "200")));
    Matcher members = Pattern.compile("/api/v1/groups/([^/]+)/users").matcher(path);
    synchronized (this) {
      if (path.equals("/api/v1/users")) {
        Map<String, String> since = filter(q.get("filter"));
        if (since == null) {
          send(ex, 400, error("E0000031", "Invalid search criteria."), limits, List.of());
          return;
        }
        List<ObjectNode> all = new ArrayList<>();
        for (User u : users.values()) {
          boolean listed = since.isEmpty() ? !u.status.equals("DEPROVISIONED") : after(u.lastUpdated, since.get("lastUpdated"));
          if (listed) {
            all.add(render(u));
          }
        }
        page(ex, path, q, limit, all, limits);
      } else if (path.equals("/api/v1/groups")) {
        if (noGroups) {
          send(ex, 403, error("E0000006", "You do not have permission to perform the requested action"), limits, List.of());
          return;
        }
        Map<String, String> since = filter(q.get("filter"));
        if (since == null) {
          send(ex, 400, error("E0000031", "Invalid search criteria."), limits, List.of());
          return;
        }
        List<ObjectNode> all = new ArrayList<>();
        for (Group g : groups.values()) {
          if (since.isEmpty() || after(g.lastUpdated, since.get("lastUpdated")) || after(g.lastMembershipUpdated, since.get("lastMembershipUpdated"))) {
            all.add(render(g));
          }
        }
        page(ex, path, q, limit, all, limits);
      } else if (members.matches()) {
        Group g = groups.get(URLDecoder.decode(members.group(1), StandardCharsets.UTF_8));
        if (g == null) {
          send(ex, 404, error("E0000007", "Not found: Resource not found"), limits, List.of());
          return;
        }
        List<ObjectNode> all = new ArrayList<>();
        g.members.forEach(id -> all.add(render(users.get(id))));
        page(ex, path, q, Math.min(1000, Integer.parseInt(q.getOrDefault("limit", "1000"))), all, limits);
      } else {
        send(ex, 404, error("E0000022", "The endpoint does not support the provided HTTP method"), limits, List.of());
      }
    }
  }

  /** Empty map for no filter, the clauses by attribute, or null if the filter is not understood. */
  private static Map<String, String> filter(String f) {
    Map<String, String> out = new LinkedHashMap<>();
    if (f == null) {
      return out;
    }
    for (String clause : f.split(" or ")) {
      Matcher m = CLAUSE.matcher(clause.trim());
      if (!m.matches()) {
        return null;
      }
      out.put(m.group(1), m.group(2));
    }
    return out;
  }

  private static boolean after(Instant t, String since) {
    return t != null && since != null && t.isAfter(Instant.parse(since));
  }

  /** Answers the page after {@code after} (an id), with self and next Link headers as Okta does. */
  private void page(HttpExchange ex, String path, Map<String, String> q, int limit, List<ObjectNode> all, Map<String, String> limits) throws IOException {
    String after = q.get("after");
    int start = 0;
    if (after != null) {
      while (start < all.size() && all.get(start).get("id").asText().compareTo(after) <= 0) {
        start++;
      }
    }
    int end = Math.min(all.size(), start + limit);
    ArrayNode body = EventJson.mapper().createArrayNode();
    all.subList(start, end).forEach(body::add);
    List<String> links = new ArrayList<>();
    links.add("<" + baseUrl() + path + "?" + rebuild(q, null) + ">; rel=\"self\"");
    if (end < all.size()) {
      String base = linkBase != null ? linkBase : baseUrl();
      links.add("<" + base + path + "?" + rebuild(q, all.get(end - 1).get("id").asText()) + ">; rel=\"next\"");
    }
    send(ex, 200, EventJson.write(body), limits, links);
  }

  private static String rebuild(Map<String, String> q, String after) {
    Map<String, String> out = new LinkedHashMap<>(q);
    out.remove("after");
    if (after != null) {
      out.put("after", after);
    }
    List<String> parts = new ArrayList<>();
    out.forEach((k, v) -> parts.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20")));
    return String.join("&", parts);
  }

  private ObjectNode render(User u) {
    ObjectNode o = EventJson.mapper().createObjectNode();
    o.put("id", u.id).put("status", u.status).put("created", iso(u.created)).put("activated", iso(u.created))
        .put("statusChanged", iso(u.lastUpdated)).put("lastLogin", iso(Instant.now())).put("lastUpdated", iso(u.lastUpdated))
        .put("passwordChanged", iso(u.created));
    o.putObject("type").put("id", "oty-default");
    o.set("profile", u.profile.deepCopy());
    o.putObject("credentials").putObject("provider").put("type", "OKTA").put("name", "OKTA");
    o.putObject("_links").putObject("self").put("href", baseUrl() + "/api/v1/users/" + u.id);
    return o;
  }

  private ObjectNode render(Group g) {
    ObjectNode o = EventJson.mapper().createObjectNode();
    o.put("id", g.id).put("created", iso(g.created)).put("lastUpdated", iso(g.lastUpdated))
        .put("lastMembershipUpdated", iso(g.lastMembershipUpdated == null ? g.created : g.lastMembershipUpdated));
    o.putArray("objectClass").add("okta:user_group");
    o.put("type", g.type);
    o.set("profile", g.profile.deepCopy());
    o.putObject("_links").putObject("users").put("href", baseUrl() + "/api/v1/groups/" + g.id + "/users");
    return o;
  }

  private static String error(String code, String summary) {
    return "{\"errorCode\":\"" + code + "\",\"errorSummary\":\"" + summary + "\",\"errorLink\":\"" + code + "\",\"errorId\":\"oae"
        + java.util.UUID.randomUUID().toString().substring(0, 12) + "\",\"errorCauses\":[]}";
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

  private static void send(HttpExchange ex, int status, String body, Map<String, String> headers, List<String> links) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    links.forEach(l -> ex.getResponseHeaders().add("Link", l));
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
