package dev.dsync.poller.okta;

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
import dev.dsync.poller.source.Watermarks;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Okta management API with an API token ({@code Authorization: SSWS}): users, then groups, then each
 * group's members, every list paged by the {@code Link: <...>; rel="next"} header (developer.okta.com,
 * "Pagination"). Incremental runs ask for {@code filter=lastUpdated gt "<watermark>"} (groups also
 * {@code or lastMembershipUpdated gt}) and re-read the member lists of groups whose membership moved.
 * DEPROVISIONED users are deletions; a plain listing omits them, so a complete run sweeps them.
 * Rate limits (429, X-Rate-Limit-Remaining/Reset) are {@link SourceHttp}'s.
 */
@ApplicationScoped
public class OktaConnector implements Connector {

  /** Okta's largest page for listing users (used for groups too). */
  static final int MAX_PAGE = 200;
  /** Okta's largest page for a group's members: the Everyone group holds every user. */
  static final int MAX_MEMBER_PAGE = 1000;

  private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s?#]+/?");
  private static final Pattern LINK = Pattern.compile("<([^>]*)>([^<]*)");
  private static final Pattern REL = Pattern.compile("(?i)rel\\s*=\\s*\"?([^\";,]*)\"?");

  private final SourceHttp http;

  public OktaConnector(SourceHttp http) {
    this.http = http;
  }

  @Override
  public ConnectionType type() {
    return ConnectionType.OKTA;
  }

  @Override
  public List<String> credentialFields() {
    return List.of("apiToken");
  }

  @Override
  public List<Problem.FieldError> validate(ObjectNode settings, ObjectNode scope, ObjectNode credentials) {
    List<Problem.FieldError> errors = new ArrayList<>();
    JsonNode base = settings.get("baseUrl");
    if (base == null || base.asText().isBlank()) {
      errors.add(new Problem.FieldError("settings.baseUrl", "your Okta org URL is required, such as https://acme.okta.com"));
    } else if (!ORIGIN.matcher(base.asText()).matches()) {
      errors.add(new Problem.FieldError("settings.baseUrl", "must be the org URL only (scheme and host, such as https://acme.okta.com), without a path"));
    } else if (base.asText().toLowerCase(Locale.ROOT).contains("-admin.")) {
      errors.add(new Problem.FieldError("settings.baseUrl", "is the Admin Console URL: use the org URL without -admin (https://acme.okta.com)"));
    }
    JsonNode token = credentials == null ? null : credentials.get("apiToken");
    if (token == null || token.asText().isBlank()) {
      errors.add(new Problem.FieldError("credentials.apiToken", "an Okta API token is required (Admin Console: Security > API > Tokens)"));
    }
    JsonNode size = settings.get("pageSize");
    if (size != null && (!size.canConvertToInt() || size.asInt() < 1 || size.asInt() > MAX_PAGE)) {
      errors.add(new Problem.FieldError("settings.pageSize", "must be between 1 and " + MAX_PAGE + " (Okta's limit for listing users)"));
    }
    JsonNode memberSize = settings.get("memberPageSize");
    if (memberSize != null && (!memberSize.canConvertToInt() || memberSize.asInt() < 1 || memberSize.asInt() > MAX_MEMBER_PAGE)) {
      errors.add(new Problem.FieldError("settings.memberPageSize", "must be between 1 and " + MAX_MEMBER_PAGE + " (Okta's limit for listing group members)"));
    }
    if (scope != null && !scope.isEmpty()) {
      errors.add(new Problem.FieldError("scope", "Okta connections read the whole org in this version; scope must be empty"));
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
    String base = base(ctx);
    List<TestReport.Check> checks = new ArrayList<>();
    return http.send(ctx.connectionId(), stats, request(ctx, base + "/api/v1/users?limit=1"))
        .chain(users -> {
          if (users.status() == 401) {
            checks.add(new TestReport.Check("api token", false, refused(users)));
            return Uni.createFrom().voidItem();
          }
          checks.add(new TestReport.Check("api token", users.status() != 404, users.status() == 404
              ? "Okta answered 404 for /api/v1/users: settings.baseUrl " + base + " is not an Okta org URL" : "accepted"));
          checks.add(probe("read users", users, "okta.users.read"));
          return http.send(ctx.connectionId(), stats, request(ctx, base + "/api/v1/groups?limit=1"))
              .invoke(groups -> checks.add(probe("read groups", groups, "okta.groups.read")))
              .replaceWithVoid();
        })
        .map(v -> TestReport.of(checks))
        .onFailure(SourceException.class).recoverWithItem(e -> {
          checks.add(new TestReport.Check("reach Okta", false, e.getMessage()));
          return TestReport.of(checks);
        });
  }

  private static TestReport.Check probe(String name, SourceHttp.Response r, String permission) {
    if (r.status() == 200) {
      return new TestReport.Check(name, true, "ok");
    }
    String detail = "Okta answered " + r.status() + " " + errorCode(r.body());
    if (r.status() == 403) {
      detail += ": the token's administrator needs the Read-Only Administrator role or a custom role with " + permission;
    }
    return new TestReport.Check(name, false, detail);
  }

  private static String refused(SourceHttp.Response r) {
    return "Okta refused the API token (401 " + errorCode(r.body()) + "): it is wrong, expired (30 days unused) or revoked, or its"
        + " administrator was deactivated; create one under Security > API > Tokens and replace credentials.apiToken";
  }

  static String base(SourceContext ctx) {
    String b = ctx.setting("baseUrl", "");
    return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
  }

  private static SourceHttp.Request request(SourceContext ctx, String url) {
    return SourceHttp.Request.get(url, Map.of("Authorization", "SSWS " + ctx.secret("apiToken"), "Accept", "application/json"));
  }

  /**
   * Where a page starts. {@code link} is the next URL of the phase (users, groups, members); in the
   * members phase {@code pending} are the group ids of the current groups page still to read (the
   * first one's members at {@code link}, or from their start when null) and {@code groupsNext} the
   * groups page after them. {@code usersMax}/{@code groupsMax} are the latest change times seen and
   * {@code usersCap}/{@code groupsCap} the times each listing began, less the skew.
   */
  record Cursor(String phase, String link, List<String> pending, String groupsNext, String usersMax, String usersCap, String groupsMax,
      String groupsCap) {

    Cursor with(String phase, String link, List<String> pending, String groupsNext) {
      return new Cursor(phase, link, pending, groupsNext, usersMax, usersCap, groupsMax, groupsCap);
    }
  }

  /** Where the next incremental job starts: the users' and the groups' watermarks (ISO instants). */
  record State(String users, String groups) {}

  private final class Session implements SourceSession {
    private final SourceContext ctx;
    private final SyncMode mode;
    private final String base;
    private final URI origin;
    private final int pageSize;
    private final int memberPageSize;
    private final State since;

    Session(SourceContext ctx, SyncMode mode) {
      this.ctx = ctx;
      this.mode = mode;
      this.base = base(ctx);
      this.origin = URI.create(base);
      this.pageSize = Integer.parseInt(ctx.setting("pageSize", String.valueOf(MAX_PAGE)));
      this.memberPageSize = Integer.parseInt(ctx.setting("memberPageSize", String.valueOf(MAX_MEMBER_PAGE)));
      if (mode == SyncMode.INCREMENTAL) {
        if (ctx.incrementalState() == null) {
          throw SourceException.deltaExpired("no watermark stored: a complete sync is needed");
        }
        this.since = EventJson.read(ctx.incrementalState(), State.class);
      } else {
        this.since = null;
      }
    }

    @Override
    public Uni<Page> next(String cursorJson) {
      Cursor cursor = cursorJson != null ? EventJson.read(cursorJson, Cursor.class) : new Cursor("users", usersStart(), null, null, null, null, null, null);
      return switch (cursor.phase()) {
        case "users" -> get(cursor.link(), false).map(r -> users(cursor, r));
        case "groups" -> get(cursor.link(), false).map(r -> groups(cursor, r));
        case "members" -> mode == SyncMode.COMPLETE ? membersPage(cursor) : allMembers(cursor);
        default -> throw new IllegalStateException("unknown phase " + cursor.phase());
      };
    }

    private String usersStart() {
      String url = base + "/api/v1/users?limit=" + pageSize;
      return since == null ? url : url + "&filter=" + enc("lastUpdated gt \"" + since.users() + "\"");
    }

    private String groupsStart() {
      String url = base + "/api/v1/groups?limit=" + pageSize;
      return since == null ? url
          : url + "&filter=" + enc("lastUpdated gt \"" + since.groups() + "\" or lastMembershipUpdated gt \"" + since.groups() + "\"");
    }

    private Page users(Cursor cursor, SourceHttp.Response r) {
      List<SourceChange> changes = new ArrayList<>();
      String max = cursor.usersMax();
      for (JsonNode u : array(r)) {
        String id = u.path("id").asText();
        max = Watermarks.later(max, u.path("lastUpdated").asText(null));
        if ("DEPROVISIONED".equals(u.path("status").asText())) {
          changes.add(new SourceChange.UserGone(id));
        } else {
          changes.add(new SourceChange.UserSeen(id, OktaNormalizer.user(u), false));
        }
      }
      String cap = cursor.usersCap() != null ? cursor.usersCap() : Watermarks.cap(r);
      Cursor marked = new Cursor(cursor.phase(), cursor.link(), null, null, max, cap, cursor.groupsMax(), cursor.groupsCap());
      String next = next(r);
      return Page.more(changes, EventJson.write(next != null ? marked.with("users", next, null, null) : marked.with("groups", groupsStart(), null, null)));
    }

    private Page groups(Cursor cursor, SourceHttp.Response r) {
      List<SourceChange> changes = new ArrayList<>();
      List<String> pending = new ArrayList<>();
      String max = cursor.groupsMax();
      for (JsonNode g : array(r)) {
        String id = g.path("id").asText();
        max = Watermarks.later(Watermarks.later(max, g.path("lastUpdated").asText(null)), g.path("lastMembershipUpdated").asText(null));
        changes.add(new SourceChange.GroupSeen(id, OktaNormalizer.group(g), false));
        // Incremental runs re-read only the member lists that changed; complete runs read them all.
        String moved = g.path("lastMembershipUpdated").asText(null);
        if (since == null || Watermarks.after(moved, since.groups())) {
          pending.add(id);
        }
      }
      String cap = cursor.groupsCap() != null ? cursor.groupsCap() : Watermarks.cap(r);
      Cursor marked = new Cursor(cursor.phase(), cursor.link(), null, null, cursor.usersMax(), cursor.usersCap(), max, cap);
      String next = next(r);
      if (!pending.isEmpty()) {
        return Page.more(changes, EventJson.write(marked.with("members", null, pending, next)));
      }
      return next != null ? Page.more(changes, EventJson.write(marked.with("groups", next, null, null))) : Page.last(changes, state(marked));
    }

    private String membersStart(String groupId) {
      return base + "/api/v1/groups/" + enc(groupId) + "/users?limit=" + memberPageSize;
    }

    /** Complete runs: one page of one group's members, each counted as seen; the sweep removes the rest. */
    private Uni<Page> membersPage(Cursor cursor) {
      String group = cursor.pending().get(0);
      return get(cursor.link() != null ? cursor.link() : membersStart(group), true).map(r -> {
        List<SourceChange> changes = r == null ? List.of() : List.of(new SourceChange.MembersDelta(group, members(r), List.of()));
        String next = r == null ? null : next(r);
        return next != null ? Page.more(changes, EventJson.write(cursor.with("members", next, cursor.pending(), cursor.groupsNext())))
            : afterGroup(cursor, changes);
      });
    }

    /** Incremental runs: a changed group's whole member list (every page), which replaces the last known one. */
    private Uni<Page> allMembers(Cursor cursor) {
      String group = cursor.pending().get(0);
      List<MemberRef> all = new ArrayList<>();
      return collect(membersStart(group), all)
          .map(v -> afterGroup(cursor, List.of(new SourceChange.MembersFull(group, all))));
    }

    private Uni<Void> collect(String url, List<MemberRef> into) {
      return get(url, true).chain(r -> {
        if (r == null) {
          into.clear();
          return Uni.createFrom().voidItem();
        }
        into.addAll(members(r));
        String next = next(r);
        return next == null ? Uni.createFrom().voidItem() : collect(next, into);
      });
    }

    private Page afterGroup(Cursor cursor, List<SourceChange> changes) {
      List<String> rest = cursor.pending().subList(1, cursor.pending().size());
      if (!rest.isEmpty()) {
        return Page.more(changes, EventJson.write(cursor.with("members", null, new ArrayList<>(rest), cursor.groupsNext())));
      }
      if (cursor.groupsNext() != null) {
        return Page.more(changes, EventJson.write(cursor.with("groups", cursor.groupsNext(), null, null)));
      }
      return Page.last(changes, state(cursor));
    }

    /** Group members as users; deprovisioned ones are gone already. Okta groups hold users only. */
    private List<MemberRef> members(SourceHttp.Response r) {
      List<MemberRef> out = new ArrayList<>();
      for (JsonNode u : array(r)) {
        if (!"DEPROVISIONED".equals(u.path("status").asText())) {
          out.add(new MemberRef(u.path("id").asText(), "User"));
        }
      }
      return out;
    }

    private String state(Cursor c) {
      return EventJson.write(new State(
          Watermarks.next(c.usersMax(), c.usersCap(), since == null ? null : since.users()),
          Watermarks.next(c.groupsMax(), c.groupsCap(), since == null ? null : since.groups())));
    }

    /** Links come from the source: the API token is only ever sent to the configured org. */
    private String next(SourceHttp.Response r) {
      String link = nextLink(r.headers().getAll("Link"));
      if (link == null) {
        return null;
      }
      if (!sameOrigin(origin, link)) {
        throw SourceException.rejected("Okta returned a next link outside " + base + "; refusing to send the API token there");
      }
      return link;
    }

    /** The 200 response; null for a 404 when {@code goneIsEmpty} (a group deleted while its page was being read). */
    private Uni<SourceHttp.Response> get(String url, boolean goneIsEmpty) {
      return http.send(ctx.connectionId(), ctx.stats(), request(ctx, url)).map(r -> {
        if (r.status() == 200) {
          return r;
        }
        if (r.status() == 404 && goneIsEmpty) {
          return null;
        }
        String code = errorCode(r.body());
        switch (r.status()) {
          case 401 -> throw SourceException.invalidCredentials(refused(r));
          case 403 -> throw SourceException.rejected("Okta answered 403 " + code
              + ": the API token's administrator needs the Read-Only Administrator role (or okta.users.read and okta.groups.read)");
          case 404 -> throw SourceException.rejected("Okta answered 404 " + code + " for " + URI.create(url).getPath()
              + ": check that settings.baseUrl is the org URL");
          default -> throw SourceException.rejected("Okta answered " + r.status() + " " + code);
        }
      });
    }
  }

  /** The {@code rel="next"} target among RFC 8288 Link header values (Okta sends one header per link). */
  static String nextLink(List<String> values) {
    for (String v : values) {
      Matcher m = LINK.matcher(v);
      while (m.find()) {
        Matcher rel = REL.matcher(m.group(2));
        if (rel.find() && List.of(rel.group(1).trim().toLowerCase(Locale.ROOT).split("\\s+")).contains("next")) {
          return m.group(1).trim();
        }
      }
    }
    return null;
  }

  static boolean sameOrigin(URI origin, String link) {
    try {
      URI u = URI.create(link);
      return u.getScheme() != null && u.getHost() != null && u.getScheme().equalsIgnoreCase(origin.getScheme())
          && u.getHost().equalsIgnoreCase(origin.getHost()) && port(u) == port(origin) && u.getRawUserInfo() == null;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static int port(URI u) {
    return u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  private static JsonNode array(SourceHttp.Response r) {
    JsonNode n = parse(r.body());
    if (!n.isArray()) {
      throw SourceException.rejected("Okta answered a list call with something that is not a JSON array");
    }
    return n;
  }

  /** Okta's error code (E0000011 ...); never the summary or causes, which may echo input. */
  static String errorCode(String body) {
    try {
      return body == null || body.isBlank() ? "" : EventJson.mapper().readTree(body).path("errorCode").asText("");
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? EventJson.mapper().createArrayNode() : EventJson.mapper().readTree(body);
    } catch (java.io.IOException e) {
      throw SourceException.rejected("Okta answered something that is not JSON");
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
