package dev.dsync.poller.google;

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
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Google's OAuth token endpoint and the Admin SDK Directory API on 127.0.0.1, following
 * developers.google.com:
 * <ul>
 *   <li>"Using OAuth 2.0 for Server to Server Applications" (identity/protocols/oauth2/service-account):
 *       POST token_uri with grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and an RS256 JWT whose
 *       signature is verified here with the service account's public key; iss, aud = token_uri, exp at
 *       most an hour after iat; answers {access_token, expires_in 3599, token_type Bearer}; a wrong signature
 *       is 400 invalid_grant "Invalid JWT Signature.", an unknown sub 400 invalid_grant "Invalid email or User
 *       ID", scopes not granted to the client ID by domain-wide delegation 401 unauthorized_client;</li>
 *   <li>"Method: users.list" (admin-sdk/directory/reference/rest/v1/users/list): customer (my_customer or the
 *       customer ID), maxResults (at most 500), pageToken/nextPageToken, showDeleted=true lists only deleted
 *       users, customSchemas only with projection=full or custom;</li>
 *   <li>"Method: groups.list" and "Method: members.list": at most 200 a page, members of type USER, GROUP or
 *       CUSTOMER with their id;</li>
 *   <li>"Directory API: Limits and Quotas" (admin-sdk/directory/v1/limits): over the limit, 403 with reason
 *       userRateLimitExceeded and no Retry-After, to be retried with exponential backoff;</li>
 *   <li>"Standard error responses" ({"error":{"code","message","errors":[{"domain","reason","message"}]}}):
 *       401 authError for an unknown or expired access token, 403 forbidden ("Not Authorized to access
 *       this resource/api") when the impersonated user is no administrator, 404 notFound for an unknown
 *       customer or group.</li>
 * </ul>
 */
public final class FakeGoogle implements AutoCloseable {

  public static final String CUSTOMER_ID = "C03az79cb";
  public static final String ADMIN = "admin@acme.com";

  private static final class User {
    String id;
    ObjectNode body;
    boolean deleted;
  }

  private static final class Group {
    String id;
    ObjectNode body;
    final Map<String, String> members = new TreeMap<>(); // id -> USER | GROUP | CUSTOMER
  }

  /** A service account this fake knows: its key pair, and the scopes domain-wide delegation granted to its client ID. */
  public record Account(String clientEmail, String clientId, KeyPair keys, Set<String> delegated) {}

  private final HttpServer server;
  private final Map<String, Account> accounts = new LinkedHashMap<>();
  private final Set<String> admins = new HashSet<>(Set.of(ADMIN));
  private final Set<String> domainUsers = new HashSet<>(Set.of(ADMIN, "helpdesk@acme.com"));
  private final Map<String, User> users = new TreeMap<>();
  private final Map<String, Group> groups = new TreeMap<>();
  private final Map<String, String> accessTokens = Collections.synchronizedMap(new LinkedHashMap<>()); // token -> sub
  private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
  private final List<JsonNode> assertions = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger tokenRequests = new AtomicInteger();
  private int throttle;
  private int unavailable;

  public FakeGoogle() {
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

  public String tokenUri() {
    return baseUrl() + "/token";
  }

  // ------------------------------------------------------------------ keys and accounts

  public static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Registers a service account whose client ID was granted {@code delegated} scopes in the Admin console. */
  public synchronized Account account(String name, KeyPair keys, Set<String> delegated) {
    Account a = new Account(name + "@dsync-test.iam.gserviceaccount.com", String.valueOf(100000000000000000L + accounts.size()), keys, delegated);
    accounts.put(a.clientEmail(), a);
    return a;
  }

  /** The JSON key file Google Cloud hands out for {@code a}, signed with {@code keys} (the account's own, or another). */
  public String keyFile(Account a, KeyPair keys) {
    String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(keys.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    ObjectNode k = EventJson.mapper().createObjectNode();
    k.put("type", "service_account").put("project_id", "dsync-test").put("private_key_id", UUID.randomUUID().toString().replace("-", ""))
        .put("private_key", pem).put("client_email", a.clientEmail()).put("client_id", a.clientId())
        .put("auth_uri", "http://127.0.0.1:9/o/oauth2/auth").put("token_uri", tokenUri());
    return EventJson.write(k);
  }

  public synchronized void demote(String email) {
    admins.remove(email);
  }

  // ------------------------------------------------------------------ directory edits

  /** An active user with the attributes Google returns for a fully filled-in profile. */
  public synchronized ObjectNode putUser(String id, String email, String given, String family, String department) {
    User u = users.computeIfAbsent(id, k -> new User());
    u.id = id;
    ObjectNode b = EventJson.mapper().createObjectNode();
    b.put("kind", "admin#directory#user").put("id", id).put("etag", "\"" + UUID.randomUUID() + "\"").put("primaryEmail", email);
    b.putObject("name").put("givenName", given).put("familyName", family).put("fullName", given + " " + family);
    b.put("isAdmin", false).put("isDelegatedAdmin", false).put("lastLoginTime", Instant.now().toString())
        .put("creationTime", "2025-06-01T09:00:00.000Z").put("agreedToTerms", true).put("suspended", false).put("archived", false)
        .put("changePasswordAtNextLogin", false).put("ipWhitelisted", false).put("customerId", CUSTOMER_ID)
        .put("orgUnitPath", "/Staff/" + department).put("isMailboxSetup", true).put("includeInGlobalAddressList", true);
    ArrayNode emails = b.putArray("emails");
    emails.addObject().put("address", email).put("primary", true);
    emails.addObject().put("address", email.replace("@", ".alias@")).put("type", "work");
    b.putArray("phones").addObject().put("value", "+1 555 0100").put("type", "work").put("primary", true);
    b.withArray("phones").addObject().put("value", "+1 555 0199").put("type", "work_mobile");
    b.putArray("organizations").addObject().put("name", "Acme").put("title", "Engineer").put("primary", true).put("customType", "")
        .put("department", department).put("costCenter", "CC-7").put("description", "Employee");
    b.putArray("externalIds").addObject().put("value", "E-" + id).put("type", "organization");
    b.putArray("relations").addObject().put("value", "boss@acme.com").put("type", "manager");
    b.putObject("customSchemas").putObject("EmployeeData").put("badgeColour", "blue");
    u.body = b;
    u.deleted = false;
    domainUsers.add(email);
    return b;
  }

  /** Changes the user as an administrator would; Google moves the etag with every save. */
  public synchronized void editUser(String id, java.util.function.Consumer<ObjectNode> edit) {
    User u = users.get(id);
    edit.accept(u.body);
    u.body.put("etag", "\"" + UUID.randomUUID() + "\"");
  }

  /** Saves without a change (the etag and lastLoginTime still move). */
  public synchronized void touchUser(String id) {
    editUser(id, b -> b.put("lastLoginTime", Instant.now().toString()));
  }

  public synchronized void suspend(String id) {
    editUser(id, b -> b.put("suspended", true).put("suspensionReason", "ADMIN"));
  }

  /** Deletes the user: listed with showDeleted=true only, and out of every group, as Google does. */
  public synchronized void deleteUser(String id) {
    User u = users.get(id);
    u.deleted = true;
    u.body.put("deletionTime", Instant.now().toString());
    groups.values().forEach(g -> g.members.remove(id));
  }

  /** Deleted more than 20 days ago: no listing shows the user any more. */
  public synchronized void purgeUser(String id) {
    users.remove(id);
    groups.values().forEach(g -> g.members.remove(id));
  }

  public synchronized void putGroup(String id, String email, String name) {
    Group g = groups.computeIfAbsent(id, k -> new Group());
    g.id = id;
    ObjectNode b = EventJson.mapper().createObjectNode();
    b.put("kind", "admin#directory#group").put("id", id).put("etag", "\"" + UUID.randomUUID() + "\"").put("email", email).put("name", name)
        .put("description", "group " + name).put("adminCreated", true);
    g.body = b;
  }

  public synchronized void deleteGroup(String id) {
    groups.remove(id);
  }

  public synchronized void addMember(String groupId, String memberId, String type) {
    groups.get(groupId).members.put(memberId, type);
  }

  public synchronized void removeMember(String groupId, String memberId) {
    groups.get(groupId).members.remove(memberId);
  }

  // ------------------------------------------------------------------ behaviour switches

  /** The next {@code n} Directory API requests answer 403 userRateLimitExceeded. */
  public synchronized void throttleNext(int n) {
    throttle = n;
  }

  /** The next {@code n} Directory API requests answer 503 backendError. */
  public synchronized void unavailableNext(int n) {
    unavailable = n;
  }

  /** Every access token issued so far stops working (expired early or revoked). */
  public void revokeTokens() {
    accessTokens.clear();
  }

  public List<String> requests() {
    synchronized (requests) {
      return new ArrayList<>(requests);
    }
  }

  public int tokenRequests() {
    return tokenRequests.get();
  }

  /** The verified claims of every accepted or refused assertion whose signature was checked. */
  public List<JsonNode> assertions() {
    synchronized (assertions) {
      return new ArrayList<>(assertions);
    }
  }

  // ------------------------------------------------------------------ HTTP

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    String rawQuery = ex.getRequestURI().getRawQuery();
    if (path.equals("/token")) {
      tokenRequests.incrementAndGet();
      token(ex);
      return;
    }
    requests.add(path + (rawQuery == null ? "" : "?" + rawQuery));
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    String sub = auth != null && auth.startsWith("Bearer ") ? accessTokens.get(auth.substring(7)) : null;
    if (sub == null) {
      send(ex, 401, error(401, "Request had invalid authentication credentials.", "global", "authError"));
      return;
    }
    synchronized (this) {
      if (throttle > 0) {
        throttle--;
        send(ex, 403, error(403, "User Rate Limit Exceeded", "usageLimits", "userRateLimitExceeded"));
        return;
      }
      if (unavailable > 0) {
        unavailable--;
        send(ex, 503, error(503, "The service is currently unavailable.", "global", "backendError"));
        return;
      }
      if (!admins.contains(sub)) {
        send(ex, 403, error(403, "Not Authorized to access this resource/api", "global", "forbidden"));
        return;
      }
      Map<String, String> q = query(rawQuery);
      Matcher members = Pattern.compile("/admin/directory/v1/groups/([^/]+)/members").matcher(path);
      if (path.equals("/admin/directory/v1/users") || path.equals("/admin/directory/v1/groups")) {
        String customer = q.get("customer");
        if (customer == null) {
          send(ex, 400, error(400, "Bad Request", "global", "badRequest"));
          return;
        }
        if (!customer.equals("my_customer") && !customer.equals(CUSTOMER_ID)) {
          send(ex, 404, error(404, "Resource Not Found: customer", "global", "notFound"));
          return;
        }
        List<ObjectNode> all = new ArrayList<>();
        if (path.endsWith("/users")) {
          boolean showDeleted = "true".equals(q.get("showDeleted"));
          boolean full = "full".equals(q.get("projection"));
          for (User u : users.values()) {
            if (u.deleted == showDeleted) {
              ObjectNode b = u.body.deepCopy();
              if (!full) {
                b.remove("customSchemas");
              }
              all.add(b);
            }
          }
          page(ex, "users", q, 100, 500, all);
        } else {
          groups.values().forEach(g -> all.add(g.body.deepCopy().put("directMembersCount", String.valueOf(g.members.size()))));
          page(ex, "groups", q, 200, 200, all);
        }
      } else if (members.matches()) {
        Group g = groups.get(URLDecoder.decode(members.group(1), StandardCharsets.UTF_8));
        if (g == null) {
          send(ex, 404, error(404, "Resource Not Found: groupKey", "global", "notFound"));
          return;
        }
        List<ObjectNode> all = new ArrayList<>();
        g.members.forEach((id, type) -> {
          ObjectNode m = EventJson.mapper().createObjectNode().put("kind", "admin#directory#member").put("id", id).put("role", "MEMBER")
              .put("type", type).put("status", "ACTIVE");
          User u = users.get(id);
          if (u != null) {
            m.put("email", u.body.path("primaryEmail").asText());
          }
          all.add(m);
        });
        page(ex, "members", q, 200, 200, all);
      } else {
        send(ex, 404, error(404, "Not Found", "global", "notFound"));
      }
    }
  }

  /** Answers the page {@code pageToken} names (an opaque token: here the base64 of the next offset). */
  private void page(HttpExchange ex, String field, Map<String, String> q, int defaultSize, int max, List<ObjectNode> all) throws IOException {
    int size = Math.min(max, Integer.parseInt(q.getOrDefault("maxResults", String.valueOf(defaultSize))));
    int start = 0;
    if (q.get("pageToken") != null) {
      try {
        start = Integer.parseInt(new String(Base64.getUrlDecoder().decode(q.get("pageToken")), StandardCharsets.UTF_8).substring(4));
      } catch (RuntimeException e) {
        send(ex, 400, error(400, "Invalid Input: pageToken", "global", "invalid"));
        return;
      }
    }
    int end = Math.min(all.size(), start + size);
    ObjectNode body = EventJson.mapper().createObjectNode().put("kind", "admin#directory#" + field).put("etag", "\"" + UUID.randomUUID() + "\"");
    ArrayNode items = EventJson.mapper().createArrayNode();
    all.subList(Math.min(start, all.size()), end).forEach(items::add);
    if (!items.isEmpty()) {
      body.set(field, items); // Google leaves the list out when it is empty
    }
    if (end < all.size()) {
      body.put("nextPageToken", Base64.getUrlEncoder().withoutPadding().encodeToString(("page" + end).getBytes(StandardCharsets.UTF_8)));
    }
    send(ex, 200, EventJson.write(body));
  }

  private void token(HttpExchange ex) throws IOException {
    Map<String, String> form = query(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    if (!"POST".equals(ex.getRequestMethod()) || !"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(form.get("grant_type"))) {
      send(ex, 400, oauthError("unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type")));
      return;
    }
    String[] parts = form.getOrDefault("assertion", "").split("\\.");
    if (parts.length != 3) {
      send(ex, 400, oauthError("invalid_request", "Invalid JWT"));
      return;
    }
    JsonNode header = EventJson.mapper().readTree(Base64.getUrlDecoder().decode(parts[0]));
    JsonNode claims = EventJson.mapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
    Account a;
    synchronized (this) {
      a = accounts.get(claims.path("iss").asText());
    }
    if (a == null) {
      send(ex, 400, oauthError("invalid_grant", "Invalid grant: account not found"));
      return;
    }
    if (!"RS256".equals(header.path("alg").asText()) || !verifies(a.keys().getPublic(), parts)) {
      send(ex, 400, oauthError("invalid_grant", "Invalid JWT Signature."));
      return;
    }
    assertions.add(claims);
    long now = Instant.now().getEpochSecond();
    long iat = claims.path("iat").asLong(-1);
    long exp = claims.path("exp").asLong(-1);
    if (!tokenUri().equals(claims.path("aud").asText()) ) {
      send(ex, 400, oauthError("invalid_grant", "Invalid JWT: Failed audience check."));
      return;
    }
    if (iat < 0 || exp <= now || exp - iat > 3600 || iat > now + 300) {
      send(ex, 400, oauthError("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
          + " Check your iat and exp values in the JWT claim."));
      return;
    }
    String sub = claims.path("sub").asText(null);
    synchronized (this) {
      if (sub != null && !domainUsers.contains(sub)) {
        send(ex, 400, oauthError("invalid_grant", "Invalid email or User ID"));
        return;
      }
    }
    Set<String> asked = new TreeSet<>(List.of(claims.path("scope").asText("").split(" ")));
    if (sub != null && !a.delegated().containsAll(asked)) {
      send(ex, 401, oauthError("unauthorized_client",
          "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."));
      return;
    }
    String token = "ya29.fake-" + UUID.randomUUID();
    accessTokens.put(token, sub);
    send(ex, 200, "{\"access_token\":\"" + token + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}");
  }

  private static boolean verifies(PublicKey key, String[] parts) {
    try {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initVerify(key);
      s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      return s.verify(Base64.getUrlDecoder().decode(parts[2]));
    } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private static String oauthError(String error, String description) {
    return EventJson.write(Map.of("error", error, "error_description", description));
  }

  private static String error(int code, String message, String domain, String reason) {
    ObjectNode e = EventJson.mapper().createObjectNode();
    ObjectNode inner = e.putObject("error");
    inner.put("code", code).put("message", message);
    inner.putArray("errors").addObject().put("message", message).put("domain", domain).put("reason", reason);
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

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
