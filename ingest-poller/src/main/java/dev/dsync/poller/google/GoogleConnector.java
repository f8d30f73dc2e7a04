package dev.dsync.poller.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.SyncMode;
import dev.dsync.platform.errors.Problem;
import dev.dsync.poller.source.ConnectionType;
import dev.dsync.poller.source.Connector;
import dev.dsync.poller.source.JobStats;
import dev.dsync.poller.source.Page;
import dev.dsync.poller.source.SourceChange;
import dev.dsync.poller.source.SourceContext;
import dev.dsync.poller.source.SourceException;
import dev.dsync.poller.source.SourceHttp;
import dev.dsync.poller.source.SourceSession;
import dev.dsync.poller.source.TestReport;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Google Workspace through the Admin SDK Directory API with a service account and domain-wide
 * delegation ({@link GoogleTokens}): recently deleted users ({@code users.list showDeleted=true}, as
 * deletions), users ({@code projection=full}, so customSchemas come too), groups, then each group's
 * members ({@code members.list}, USER and GROUP members), every list paged by {@code nextPageToken}.
 * The Directory API has no change feed or "updated since" filter for users or groups, so an
 * incremental run lists everything as a complete run does and the engine emits only the differences;
 * it reads each group's whole member list (which replaces the last one) and does not sweep, so users
 * deleted more than Google's 20 days ago and deleted groups are found by complete runs. Throttling
 * (429, 403 rateLimitExceeded/userRateLimitExceeded, 5xx) is {@link SourceHttp}'s.
 */
@ApplicationScoped
public class GoogleConnector implements Connector {

  /** users.list answers at most 500 users a page. */
  static final int MAX_USER_PAGE = 500;
  /** groups.list and members.list answer at most 200 a page. */
  static final int MAX_GROUP_PAGE = 200;
  static final String GOOGLE_BASE = "https://admin.googleapis.com";
  static final String DIRECTORY = "/admin/directory/v1";

  private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s?#]+/?");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  private static final Pattern CUSTOMER = Pattern.compile("my_customer|[A-Za-z0-9]+");

  private final SourceHttp http;
  private final GoogleTokens tokens;

  public GoogleConnector(SourceHttp http, GoogleTokens tokens) {
    this.http = http;
    this.tokens = tokens;
  }

  @Override
  public ConnectionType type() {
    return ConnectionType.GOOGLE_WORKSPACE;
  }

  @Override
  public List<String> credentialFields() {
    return List.of("serviceAccountJson");
  }

  @Override
  public List<Problem.FieldError> validate(ObjectNode settings, ObjectNode scope, ObjectNode credentials) {
    List<Problem.FieldError> errors = new ArrayList<>();
    JsonNode subject = settings.get("subject");
    if (subject == null || subject.asText().isBlank()) {
      errors.add(new Problem.FieldError("settings.subject", "the email of a Google Workspace administrator to impersonate is required"
          + " (domain-wide delegation acts as that user)"));
    } else if (!EMAIL.matcher(subject.asText()).matches()) {
      errors.add(new Problem.FieldError("settings.subject", "must be the email address of an administrator, such as admin@acme.com"));
    }
    JsonNode customer = settings.get("customer");
    if (customer != null && !CUSTOMER.matcher(customer.asText()).matches()) {
      errors.add(new Problem.FieldError("settings.customer", "must be my_customer or the customer ID (Admin console > Account > Account settings, such as C03az79cb)"));
    }
    JsonNode base = settings.get("baseUrl");
    if (base != null && !ORIGIN.matcher(base.asText()).matches()) {
      errors.add(new Problem.FieldError("settings.baseUrl", "must be scheme and host only (default " + GOOGLE_BASE + "), without a path"));
    }
    JsonNode size = settings.get("pageSize");
    if (size != null && (!size.canConvertToInt() || size.asInt() < 1 || size.asInt() > MAX_USER_PAGE)) {
      errors.add(new Problem.FieldError("settings.pageSize", "must be between 1 and " + MAX_USER_PAGE + " (Google's limit for listing users)"));
    }
    try {
      ServiceAccountKey.parse(credentials == null ? null : credentials.get("serviceAccountJson"));
    } catch (ServiceAccountKey.BadKey e) {
      errors.add(new Problem.FieldError("credentials.serviceAccountJson", e.getMessage()));
    }
    if (scope != null && !scope.isEmpty()) {
      errors.add(new Problem.FieldError("scope", "Google Workspace connections read the whole account in this version; scope must be empty"));
    }
    return errors;
  }

  @Override
  public SourceSession open(SourceContext ctx, SyncMode mode) {
    return new Session(ctx, mode);
  }

  @Override
  public Uni<TestReport> test(SourceContext ctx) {
    JobStats stats = new JobStats();
    List<TestReport.Check> checks = new ArrayList<>();
    String customer = customer(ctx);
    return tokens.token(ctx, stats)
        .chain(token -> {
          checks.add(new TestReport.Check("token", true, "service account " + GoogleTokens.key(ctx).clientEmail() + " may act as "
              + ctx.setting("subject", "")));
          return probe(ctx, stats, token, DIRECTORY + "/users?customer=" + enc(customer) + "&maxResults=1", "list users", "Users", checks)
              .chain(() -> probe(ctx, stats, token, DIRECTORY + "/groups?customer=" + enc(customer) + "&maxResults=1", "list groups", "Groups", checks));
        })
        .map(v -> TestReport.of(checks))
        .onFailure(SourceException.class).recoverWithItem(e -> {
          checks.add(new TestReport.Check(checks.isEmpty() ? "token" : "reach Google", false, e.getMessage()));
          return TestReport.of(checks);
        });
  }

  private Uni<Void> probe(SourceContext ctx, JobStats stats, String token, String path, String name, String privilege, List<TestReport.Check> checks) {
    return http.send(ctx.connectionId(), stats, request(base(ctx) + path, token)).invoke(r -> {
      if (r.status() == 200) {
        checks.add(new TestReport.Check(name, true, "ok"));
      } else {
        checks.add(new TestReport.Check(name, false, explain(ctx, r, privilege)));
      }
    }).replaceWithVoid();
  }

  /** An administrator's reading of a Directory API refusal: the status, Google's reason code and the fix. */
  static String explain(SourceContext ctx, SourceHttp.Response r, String privilege) {
    String head = "Google answered " + r.status() + " " + reason(r.body());
    return switch (r.status()) {
      case 401 -> head + ": the access token was refused; check that the service account key is still valid";
      case 403 -> head + ": settings.subject " + ctx.setting("subject", "") + " must be an administrator whose role includes the "
          + privilege + " > Read privilege, and the Admin SDK API must be enabled in the service account's Google Cloud project";
      case 400, 404 -> head + ": settings.customer '" + customer(ctx) + "' is not this account's customer; use my_customer or the"
          + " customer ID from Account settings";
      default -> head;
    };
  }

  static String base(SourceContext ctx) {
    String b = ctx.setting("baseUrl", GOOGLE_BASE);
    return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
  }

  static String customer(SourceContext ctx) {
    return ctx.setting("customer", "my_customer");
  }

  private static SourceHttp.Request request(String url, String token) {
    return SourceHttp.Request.get(url, Map.of("Authorization", "Bearer " + token, "Accept", "application/json"));
  }

  /**
   * Where a page starts: the phase (deleted, users, groups, members) and its page token; in the
   * members phase {@code pending} are the group ids of the current groups page still to read (the
   * first from {@code pageToken}, or from its start when null) and {@code groupsToken} the groups page after them.
   */
  record Cursor(String phase, String pageToken, List<String> pending, String groupsToken) {}

  /** Where the next incremental run starts: Google has no change feed, so only when the last complete listing ended. */
  record State(String listedAt) {}

  private final class Session implements SourceSession {
    private final SourceContext ctx;
    private final SyncMode mode;
    private final String base;
    private final String customer;
    private final int pageSize;

    Session(SourceContext ctx, SyncMode mode) {
      this.ctx = ctx;
      this.mode = mode;
      this.base = base(ctx) + DIRECTORY;
      this.customer = customer(ctx);
      this.pageSize = Integer.parseInt(ctx.setting("pageSize", String.valueOf(MAX_USER_PAGE)));
      if (mode == SyncMode.INCREMENTAL && ctx.incrementalState() == null) {
        throw SourceException.deltaExpired("no complete listing yet: a complete sync is needed first");
      }
    }

    @Override
    public Uni<Page> next(String cursorJson) {
      Cursor cursor = cursorJson != null ? EventJson.read(cursorJson, Cursor.class) : new Cursor("deleted", null, null, null);
      return switch (cursor.phase()) {
        case "deleted" -> get(users(true, cursor.pageToken()), "users").map(r -> deleted(cursor, r));
        case "users" -> get(users(false, cursor.pageToken()), "users").map(r -> users(cursor, r));
        case "groups" -> get(groups(cursor.pageToken()), "groups").map(this::groups);
        case "members" -> mode == SyncMode.COMPLETE ? membersPage(cursor) : allMembers(cursor);
        default -> throw new IllegalStateException("unknown phase " + cursor.phase());
      };
    }

    private String users(boolean deleted, String pageToken) {
      String url = base + "/users?customer=" + enc(customer) + "&maxResults=" + pageSize + (deleted ? "&showDeleted=true" : "&projection=full");
      return pageToken == null ? url : url + "&pageToken=" + enc(pageToken);
    }

    private String groups(String pageToken) {
      String url = base + "/groups?customer=" + enc(customer) + "&maxResults=" + Math.min(pageSize, MAX_GROUP_PAGE);
      return pageToken == null ? url : url + "&pageToken=" + enc(pageToken);
    }

    private String members(String groupId, String pageToken) {
      String url = base + "/groups/" + enc(groupId) + "/members?maxResults=" + MAX_GROUP_PAGE;
      return pageToken == null ? url : url + "&pageToken=" + enc(pageToken);
    }

    /** Users deleted in the last 20 days (Google keeps them restorable that long): deletions. */
    private Page deleted(Cursor cursor, JsonNode body) {
      List<SourceChange> changes = new ArrayList<>();
      for (JsonNode u : body.path("users")) {
        changes.add(new SourceChange.UserGone(u.path("id").asText()));
      }
      String next = token(body);
      return Page.more(changes, EventJson.write(next != null ? new Cursor("deleted", next, null, null) : new Cursor("users", null, null, null)));
    }

    private Page users(Cursor cursor, JsonNode body) {
      List<SourceChange> changes = new ArrayList<>();
      for (JsonNode u : body.path("users")) {
        changes.add(new SourceChange.UserSeen(u.path("id").asText(), GoogleNormalizer.user(u), false));
      }
      String next = token(body);
      return Page.more(changes, EventJson.write(next != null ? new Cursor("users", next, null, null) : new Cursor("groups", null, null, null)));
    }

    private Page groups(JsonNode body) {
      List<SourceChange> changes = new ArrayList<>();
      List<String> pending = new ArrayList<>();
      for (JsonNode g : body.path("groups")) {
        String id = g.path("id").asText();
        changes.add(new SourceChange.GroupSeen(id, GoogleNormalizer.group(g), false));
        pending.add(id);
      }
      String next = token(body);
      if (!pending.isEmpty()) {
        return Page.more(changes, EventJson.write(new Cursor("members", null, pending, next)));
      }
      return next != null ? Page.more(changes, EventJson.write(new Cursor("groups", next, null, null))) : Page.last(changes, state());
    }

    /** Complete runs: one page of one group's members, each counted as seen; the sweep removes the rest. */
    private Uni<Page> membersPage(Cursor cursor) {
      String group = cursor.pending().get(0);
      return getOrGone(members(group, cursor.pageToken())).map(body -> {
        List<SourceChange> changes = body == null ? List.of() : List.of(new SourceChange.MembersDelta(group, refs(body), List.of()));
        String next = body == null ? null : token(body);
        return next != null ? Page.more(changes, EventJson.write(new Cursor("members", next, cursor.pending(), cursor.groupsToken())))
            : afterGroup(cursor, changes);
      });
    }

    /** Incremental runs: a group's whole member list (every page), which replaces the last known one. */
    private Uni<Page> allMembers(Cursor cursor) {
      String group = cursor.pending().get(0);
      List<MemberRef> all = new ArrayList<>();
      return collect(group, null, all).map(gone -> afterGroup(cursor, gone ? List.of() : List.of(new SourceChange.MembersFull(group, all))));
    }

    /** Reads every member page into {@code into}; true if the group was deleted meanwhile. */
    private Uni<Boolean> collect(String group, String pageToken, List<MemberRef> into) {
      return getOrGone(members(group, pageToken)).chain(body -> {
        if (body == null) {
          return Uni.createFrom().item(true);
        }
        into.addAll(refs(body));
        String next = token(body);
        return next == null ? Uni.createFrom().item(false) : collect(group, next, into);
      });
    }

    private Page afterGroup(Cursor cursor, List<SourceChange> changes) {
      List<String> rest = cursor.pending().subList(1, cursor.pending().size());
      if (!rest.isEmpty()) {
        return Page.more(changes, EventJson.write(new Cursor("members", null, new ArrayList<>(rest), cursor.groupsToken())));
      }
      if (cursor.groupsToken() != null) {
        return Page.more(changes, EventJson.write(new Cursor("groups", cursor.groupsToken(), null, null)));
      }
      return Page.last(changes, state());
    }

    /** USER and GROUP members (nested groups); CUSTOMER ("everyone in the account") and others have no single id to name. */
    private List<MemberRef> refs(JsonNode body) {
      List<MemberRef> out = new ArrayList<>();
      for (JsonNode m : body.path("members")) {
        String type = m.path("type").asText();
        if ("USER".equals(type) && m.hasNonNull("id")) {
          out.add(new MemberRef(m.get("id").asText(), "User"));
        } else if ("GROUP".equals(type) && m.hasNonNull("id")) {
          out.add(new MemberRef(m.get("id").asText(), "Group"));
        } else {
          ctx.stats().inc("membersSkipped");
        }
      }
      return out;
    }

    private String state() {
      return EventJson.write(new State(Instant.now().toString()));
    }

    /** A group deleted while its members are read answers 404: nothing to read. */
    private Uni<JsonNode> getOrGone(String url) {
      return call(url, true).map(r -> r.status() == 404 ? null : ok(r, "members"));
    }

    private Uni<JsonNode> get(String url, String what) {
      return call(url, true).map(r -> ok(r, what));
    }

    /** Sends with the cached token; a 401 drops it and tries once more with a fresh one. */
    private Uni<SourceHttp.Response> call(String url, boolean mayRefresh) {
      return tokens.token(ctx, ctx.stats())
          .chain(token -> http.send(ctx.connectionId(), ctx.stats(), request(url, token)))
          .chain(r -> {
            if (r.status() == 401 && mayRefresh) {
              tokens.forget(ctx);
              return call(url, false);
            }
            if (r.status() == 401) {
              throw SourceException.invalidCredentials("Google refused a fresh access token (401 " + reason(r.body())
                  + "); replace credentials.serviceAccountJson");
            }
            return Uni.createFrom().item(r);
          });
    }

    private JsonNode ok(SourceHttp.Response r, String what) {
      if (r.status() == 200) {
        return parse(r.body());
      }
      String privilege = what.equals("users") ? "Users" : "Groups";
      throw SourceException.rejected(explain(ctx, r, privilege));
    }
  }

  private static String token(JsonNode body) {
    String t = body.path("nextPageToken").asText(null);
    return t == null || t.isEmpty() ? null : t;
  }

  /** Google's error reason (forbidden, notFound, badRequest, ...); never the message, which may echo input. */
  static String reason(String body) {
    JsonNode e = GoogleTokens.parse(body).path("error");
    String reason = e.path("errors").path(0).path("reason").asText("");
    return reason.isEmpty() ? e.path("status").asText("") : reason;
  }

  private static JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? EventJson.mapper().createObjectNode() : EventJson.mapper().readTree(body);
    } catch (java.io.IOException e) {
      throw SourceException.rejected("Google answered something that is not JSON");
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
