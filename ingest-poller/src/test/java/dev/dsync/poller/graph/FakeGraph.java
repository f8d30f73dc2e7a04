package dev.dsync.poller.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dsync.events.EventJson;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small Microsoft Graph and identity-platform fake on 127.0.0.1, following the documented behaviour of:
 * <ul>
 *   <li>learn.microsoft.com/graph/delta-query-overview: a round of {@code @odata.nextLink} pages ends with an
 *       {@code @odata.deltaLink}; the next round returns only what changed, deletions as {@code @removed};</li>
 *   <li>learn.microsoft.com/graph/api/user-delta and /group-delta: {@code Prefer: odata.maxpagesize},
 *       {@code members@delta} with {@code @odata.type}, updated objects carrying at least their changed properties;</li>
 *   <li>learn.microsoft.com/graph/throttling: 429 with {@code Retry-After} in seconds;</li>
 *   <li>devblogs.microsoft.com/microsoft365dev/duration-of-change-tracking-tokens-for-identity-and-education-resources:
 *       an expired delta token answers 400 with error code {@code syncStateNotFound};</li>
 *   <li>learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow: the token endpoint,
 *       {@code invalid_client} with AADSTS7000215 for a wrong secret.</li>
 * </ul>
 * Simplification: a round's pages are computed on each request from the change log, so the data must not
 * change while a round is being read (tests do not do that).
 */
public final class FakeGraph implements AutoCloseable {

  public static final String TENANT = "contoso.onmicrosoft.com";
  public static final String CLIENT_ID = "11111111-2222-3333-4444-555555555555";

  private static final class Obj {
    ObjectNode props;
    long created;
    long changed;
    boolean deleted;
    Set<String> changedProps = new HashSet<>();
    final Map<String, String> members = new TreeMap<>();
    final List<Object[]> memberLog = new ArrayList<>(); // {version, memberId, type, removed}
  }

  private final HttpServer server;
  private final String secret;
  private final Map<String, Obj> users = new TreeMap<>();
  private final Map<String, Obj> groups = new TreeMap<>();
  private final Set<String> tokens = ConcurrentHashMap.newKeySet();
  private final Deque<Integer> injected = new ArrayDeque<>();
  private final Map<String, AtomicInteger> pageHits = new ConcurrentHashMap<>();
  private final List<Long> requestTimes = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger tokenRequests = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private long clock;
  private long expiredBefore;
  private int retryAfterSeconds = 1;
  private volatile String hangAt;
  private volatile CountDownLatch hang;

  public FakeGraph(String secret) {
    this.secret = secret;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1.0";
  }

  public String authorityUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  // ------------------------------------------------------------------ directory edits

  public synchronized void putUser(String id, String upn, String given, String surname, String department) {
    Obj o = users.computeIfAbsent(id, k -> new Obj());
    boolean fresh = o.props == null || o.deleted;
    ObjectNode p = EventJson.mapper().createObjectNode();
    p.put("id", id).put("userPrincipalName", upn).put("displayName", given + " " + surname).put("givenName", given)
        .put("surname", surname).put("mail", upn).put("accountEnabled", true).put("jobTitle", (String) null)
        .put("department", department).put("employeeId", (String) null).put("companyName", "Contoso").put("mobilePhone", (String) null)
        .put("preferredLanguage", "en-US").put("officeLocation", "B1").put("usageLocation", "US");
    p.putArray("businessPhones");
    o.changedProps.clear();
    if (!fresh) {
      p.fieldNames().forEachRemaining(f -> {
        if (!p.get(f).equals(o.props.get(f))) {
          o.changedProps.add(f);
        }
      });
    }
    o.props = p;
    o.deleted = false;
    o.changed = ++clock;
    if (fresh) {
      o.created = o.changed;
    }
  }

  /** Changes some properties: the delta shows the user with only these (Graph sends "at least the updated properties"). */
  public synchronized void updateUser(String id, Map<String, Object> changes) {
    Obj o = users.get(id);
    o.changedProps.clear();
    changes.forEach((k, v) -> {
      o.props.set(k, EventJson.mapper().valueToTree(v));
      o.changedProps.add(k);
    });
    o.changed = ++clock;
  }

  public synchronized void deleteUser(String id) {
    Obj o = users.get(id);
    o.deleted = true;
    o.changed = ++clock;
    groups.values().forEach(g -> removeMember(g, id));
  }

  /** Removes a user without a trace in the change log, as if the delta history were lost: only a complete sync notices. */
  public synchronized void forgetUser(String id) {
    users.remove(id);
    groups.values().forEach(g -> g.members.remove(id));
  }

  public synchronized void putGroup(String id, String name) {
    Obj o = groups.computeIfAbsent(id, k -> new Obj());
    boolean fresh = o.props == null || o.deleted;
    ObjectNode p = EventJson.mapper().createObjectNode();
    p.put("id", id).put("displayName", name).put("description", "group " + name).put("mailEnabled", false).put("securityEnabled", true);
    p.putArray("groupTypes");
    o.changedProps.clear();
    if (!fresh) {
      p.fieldNames().forEachRemaining(f -> {
        if (!p.get(f).equals(o.props.get(f))) {
          o.changedProps.add(f);
        }
      });
    }
    o.props = p;
    o.deleted = false;
    o.changed = ++clock;
    if (fresh) {
      o.created = o.changed;
    }
  }

  public synchronized void deleteGroup(String id) {
    Obj o = groups.get(id);
    o.deleted = true;
    o.changed = ++clock;
  }

  public synchronized void addMember(String groupId, String memberId, String type) {
    Obj g = groups.get(groupId);
    if (g.members.put(memberId, type) == null) {
      g.changed = ++clock;
      g.changedProps.clear();
      g.memberLog.add(new Object[] {g.changed, memberId, type, false});
    }
  }

  public synchronized void removeMember(String groupId, String memberId) {
    removeMember(groups.get(groupId), memberId);
  }

  private void removeMember(Obj g, String memberId) {
    String type = g.members.remove(memberId);
    if (type != null) {
      g.changed = ++clock;
      g.changedProps.clear();
      g.memberLog.add(new Object[] {g.changed, memberId, type, true});
    }
  }

  // ------------------------------------------------------------------ behaviour switches

  /** The next requests to Graph answer these statuses (429 with Retry-After, or a 5xx) before serving normally. */
  public synchronized void inject(int... statuses) {
    for (int s : statuses) {
      injected.add(s);
    }
  }

  public synchronized void retryAfter(int seconds) {
    retryAfterSeconds = seconds;
  }

  /** Delta tokens issued so far expire (Graph keeps them for 7 days for directory objects). */
  public synchronized void expireDeltaTokens() {
    expiredBefore = clock + 1;
  }

  /** Access tokens issued so far stop working (Graph answers 401 InvalidAuthenticationToken). */
  public void revokeAccessTokens() {
    tokens.clear();
  }

  /** The first request for the page at {@code kind} offset {@code offset} blocks until {@link #release()}. */
  public CountDownLatch hangAt(String kind, int offset) {
    hang = new CountDownLatch(1);
    hangAt = kind + ":" + offset;
    return hang;
  }

  public void release() {
    if (hang != null) {
      hang.countDown();
    }
  }

  /** How often the page of {@code kind} at {@code offset} of the initial round was served. */
  public int hits(String kind, int offset) {
    AtomicInteger n = pageHits.get(kind + ":" + offset);
    return n == null ? 0 : n.get();
  }

  public int tokenRequests() {
    return tokenRequests.get();
  }

  public int maxInFlight() {
    return maxInFlight.get();
  }

  public List<Long> requestTimes() {
    synchronized (requestTimes) {
      return new ArrayList<>(requestTimes);
    }
  }

  // ------------------------------------------------------------------ HTTP

  private void handle(HttpExchange ex) throws IOException {
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    try {
      String path = ex.getRequestURI().getPath();
      if (path.endsWith("/oauth2/v2.0/token") && ex.getRequestMethod().equals("POST")) {
        token(ex);
        return;
      }
      requestTimes.add(System.nanoTime());
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !auth.startsWith("Bearer ") || !tokens.contains(auth.substring(7))) {
        send(ex, 401, error("InvalidAuthenticationToken", "Access token has expired or is not yet valid."), Map.of());
        return;
      }
      Integer status;
      int retry;
      synchronized (this) {
        status = injected.poll();
        retry = retryAfterSeconds;
      }
      if (status != null) {
        send(ex, status, error(status == 429 ? "TooManyRequests" : "serviceNotAvailable", "injected"),
            status == 429 || status == 503 ? Map.of("Retry-After", String.valueOf(retry)) : Map.of());
        return;
      }
      Map<String, String> q = query(ex.getRequestURI().getRawQuery());
      if (path.equals("/v1.0/users/delta") || path.equals("/v1.0/groups/delta")) {
        delta(ex, path.contains("users") ? "users" : "groups", q);
      } else if (path.equals("/v1.0/users") || path.equals("/v1.0/groups")) {
        send(ex, 200, "{\"value\":[]}", Map.of());
      } else {
        send(ex, 404, error("Request_ResourceNotFound", "no such resource"), Map.of());
      }
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private void token(HttpExchange ex) throws IOException {
    tokenRequests.incrementAndGet();
    Map<String, String> form = query(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    if (!ex.getRequestURI().getPath().equals("/" + TENANT + "/oauth2/v2.0/token")) {
      send(ex, 400, "{\"error\":\"invalid_request\",\"error_codes\":[90002],\"error_description\":\"AADSTS90002: Tenant not found.\"}", Map.of());
      return;
    }
    if (!CLIENT_ID.equals(form.get("client_id")) || !secret.equals(form.get("client_secret"))
        || !"client_credentials".equals(form.get("grant_type")) || !"https://graph.microsoft.com/.default".equals(form.get("scope"))) {
      send(ex, 401, "{\"error\":\"invalid_client\",\"error_codes\":[7000215],\"error_description\":\"AADSTS7000215: Invalid client secret provided.\"}", Map.of());
      return;
    }
    String t = "tok-" + java.util.UUID.randomUUID();
    tokens.add(t);
    send(ex, 200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,\"access_token\":\"" + t + "\"}", Map.of());
  }

  private void delta(HttpExchange ex, String kind, Map<String, String> q) throws IOException {
    long since;
    long asOf;
    int offset;
    synchronized (this) {
      if (q.containsKey("$skiptoken")) {
        String[] s = new String(Base64.getUrlDecoder().decode(q.get("$skiptoken")), StandardCharsets.UTF_8).split("\\|");
        since = Long.parseLong(s[0]);
        asOf = Long.parseLong(s[1]);
        offset = Integer.parseInt(s[2]);
      } else if (q.containsKey("$deltatoken")) {
        since = Long.parseLong(q.get("$deltatoken"));
        if (since < expiredBefore) {
          send(ex, 400, error("syncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again."), Map.of());
          return;
        }
        asOf = clock;
        offset = 0;
      } else {
        since = 0;
        asOf = clock;
        offset = 0;
      }
    }
    if (since == 0) {
      pageHits.computeIfAbsent(kind + ":" + offset, k -> new AtomicInteger()).incrementAndGet();
      CountDownLatch latch = hang;
      if (latch != null && (kind + ":" + offset).equals(hangAt)) {
        hangAt = null;
        try {
          latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    String prefer = ex.getRequestHeaders().getFirst("Prefer");
    int pageSize = prefer != null && prefer.startsWith("odata.maxpagesize=") ? Integer.parseInt(prefer.substring(18).trim()) : 100;
    ObjectNode body = EventJson.mapper().createObjectNode();
    body.put("@odata.context", baseUrl() + "/$metadata#" + kind);
    ArrayNode value = body.putArray("value");
    boolean more;
    synchronized (this) {
      Map<String, Obj> all = kind.equals("users") ? users : groups;
      List<Map.Entry<String, Obj>> round = new ArrayList<>();
      for (var e : all.entrySet()) {
        Obj o = e.getValue();
        boolean inRange = o.changed > since && o.changed <= asOf;
        if (since == 0 ? !o.deleted && o.created <= asOf : inRange) {
          round.add(e);
        }
      }
      int end = Math.min(round.size(), offset + pageSize);
      for (int i = offset; i < end; i++) {
        value.add(render(kind, round.get(i).getValue(), since, asOf));
      }
      more = end < round.size();
      if (more) {
        String skip = Base64.getUrlEncoder().encodeToString((since + "|" + asOf + "|" + end).getBytes(StandardCharsets.UTF_8));
        body.put("@odata.nextLink", baseUrl() + "/" + kind + "/delta?$skiptoken=" + skip);
      } else {
        body.put("@odata.deltaLink", baseUrl() + "/" + kind + "/delta?$deltatoken=" + asOf);
      }
    }
    send(ex, 200, EventJson.write(body), Map.of());
  }

  private JsonNode render(String kind, Obj o, long since, long asOf) {
    String id = o.props.get("id").asText();
    ObjectNode out = EventJson.mapper().createObjectNode();
    if (o.deleted) {
      out.put("id", id);
      out.putObject("@removed").put("reason", "deleted");
      return out;
    }
    boolean full = since == 0 || o.created > since;
    if (full) {
      out.setAll(o.props);
    } else {
      out.put("id", id);
      o.changedProps.forEach(f -> out.set(f, o.props.get(f)));
    }
    if (kind.equals("groups")) {
      ArrayNode members = out.putArray("members@delta");
      if (full) {
        o.members.forEach((m, type) -> members.addObject().put("@odata.type", "#microsoft.graph." + type.toLowerCase()).put("id", m));
      } else {
        Map<String, Object[]> last = new LinkedHashMap<>();
        for (Object[] c : o.memberLog) {
          long v = (Long) c[0];
          if (v > since && v <= asOf) {
            last.put((String) c[1], c);
          }
        }
        last.values().forEach(c -> {
          ObjectNode m = members.addObject().put("@odata.type", "#microsoft.graph." + ((String) c[2]).toLowerCase()).put("id", (String) c[1]);
          if ((Boolean) c[3]) {
            m.putObject("@removed").put("reason", "deleted");
          }
        });
      }
    }
    return out;
  }

  private static String error(String code, String message) {
    return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\",\"innerError\":{\"request-id\":\"" + java.util.UUID.randomUUID() + "\"}}}";
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
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
    ex.getResponseHeaders().add("Content-Type", "application/json");
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  @Override
  public void close() {
    release();
    server.stop(0);
  }
}
