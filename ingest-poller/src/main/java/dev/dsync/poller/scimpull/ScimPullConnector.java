package dev.dsync.poller.scimpull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
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
import java.util.Map;

/**
 * Another SCIM 2.0 service provider, read as a client with a bearer token (RFC 7644): {@code /Users},
 * then {@code /Groups} with their {@code members}, paged by {@code startIndex}/{@code count} until
 * {@code totalResults} (a server may return fewer than asked: the next page starts after what came).
 * Incremental runs ask for {@code filter=meta.lastModified gt "<watermark>"} when the server's
 * {@code /ServiceProviderConfig} says filtering is supported (and it accepts that filter); otherwise
 * they list everything and the snapshot keeps only real differences. SCIM lists never show deleted
 * resources, so deletions are found by complete runs.
 */
@ApplicationScoped
public class ScimPullConnector implements Connector {

  static final int MAX_PAGE = 1000;
  static final int DEFAULT_PAGE = 100;

  private final SourceHttp http;

  public ScimPullConnector(SourceHttp http) {
    this.http = http;
  }

  @Override
  public ConnectionType type() {
    return ConnectionType.SCIM_PULL;
  }

  @Override
  public List<String> credentialFields() {
    return List.of("token");
  }

  @Override
  public List<Problem.FieldError> validate(ObjectNode settings, ObjectNode scope, ObjectNode credentials) {
    List<Problem.FieldError> errors = new ArrayList<>();
    JsonNode base = settings.get("baseUrl");
    if (base == null || base.asText().isBlank()) {
      errors.add(new Problem.FieldError("settings.baseUrl", "the SCIM base URL is required, such as https://idp.example.com/scim/v2"));
    } else if (!base.asText().matches("https?://[^\\s?#]+")) {
      errors.add(new Problem.FieldError("settings.baseUrl", "must be an http(s) URL without query or fragment"));
    } else if (base.asText().replaceAll("/+$", "").matches("(?i).*/(Users|Groups)")) {
      errors.add(new Problem.FieldError("settings.baseUrl", "must be the SCIM base URL that /Users and /Groups are under, not /Users or /Groups itself"));
    }
    JsonNode token = credentials == null ? null : credentials.get("token");
    if (token == null || token.asText().isBlank()) {
      errors.add(new Problem.FieldError("credentials.token", "the bearer token the SCIM server issued to this client is required"));
    }
    JsonNode size = settings.get("pageSize");
    if (size != null && (!size.canConvertToInt() || size.asInt() < 1 || size.asInt() > MAX_PAGE)) {
      errors.add(new Problem.FieldError("settings.pageSize", "must be between 1 and " + MAX_PAGE));
    }
    if (scope != null && !scope.isEmpty()) {
      errors.add(new Problem.FieldError("scope", "SCIM pull connections read every user and group the token can see; scope must be empty"));
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
    return http.send(ctx.connectionId(), stats, request(ctx, base + "/ServiceProviderConfig"))
        .chain(spc -> {
          if (spc.status() == 200) {
            checks.add(new TestReport.Check("service provider config", true, filterSupported(spc)
                ? "filter supported: incremental runs ask only for what changed (meta.lastModified gt the last change)"
                : "filter not supported: incremental runs list everything; only real differences become events"));
          } else if (spc.status() != 401) {
            checks.add(new TestReport.Check("service provider config", false, "the SCIM server answered " + spc.status() + " for "
                + path(base, "/ServiceProviderConfig") + (spc.status() == 404 ? ": settings.baseUrl is not a SCIM base URL" : "")));
          }
          return http.send(ctx.connectionId(), stats, request(ctx, base + "/Users?startIndex=1&count=1"));
        })
        .chain(users -> {
          if (users.status() == 401) {
            checks.add(new TestReport.Check("bearer token", false, refused()));
            return Uni.createFrom().voidItem();
          }
          checks.add(new TestReport.Check("bearer token", true, "accepted"));
          checks.add(probe("read users", base, "/Users", users));
          return http.send(ctx.connectionId(), stats, request(ctx, base + "/Groups?startIndex=1&count=1"))
              .invoke(groups -> checks.add(probe("read groups", base, "/Groups", groups)))
              .replaceWithVoid();
        })
        .map(v -> TestReport.of(checks))
        .onFailure(SourceException.class).recoverWithItem(e -> {
          checks.add(new TestReport.Check("reach the SCIM server", false, e.getMessage()));
          return TestReport.of(checks);
        });
  }

  private static TestReport.Check probe(String name, String base, String endpoint, SourceHttp.Response r) {
    if (r.status() == 200) {
      JsonNode body = parseOrNull(r.body());
      boolean list = body != null && body.has("totalResults");
      return new TestReport.Check(name, list, list ? "ok, " + body.path("totalResults").asLong() + " in total"
          : "the SCIM server answered 200 for " + path(base, endpoint) + " but not with a SCIM ListResponse");
    }
    return new TestReport.Check(name, false, describe(r.status(), scimType(r.body()), path(base, endpoint)));
  }

  private static String refused() {
    return "the SCIM server refused the bearer token (401): issue a new one there and replace credentials.token";
  }

  private static String describe(int status, String scimType, String path) {
    String what = "the SCIM server answered " + status + (scimType.isEmpty() ? "" : " " + scimType) + " for " + path;
    return switch (status) {
      case 403 -> what + ": the token may not read this resource type";
      case 404 -> what + ": settings.baseUrl must be the SCIM base URL that /Users and /Groups are under";
      default -> what;
    };
  }

  static String base(SourceContext ctx) {
    return ctx.setting("baseUrl", "").replaceAll("/+$", "");
  }

  private static String path(String base, String endpoint) {
    try {
      return URI.create(base + endpoint).getPath();
    } catch (IllegalArgumentException e) {
      return endpoint;
    }
  }

  private static SourceHttp.Request request(SourceContext ctx, String url) {
    return SourceHttp.Request.get(url, Map.of("Authorization", "Bearer " + ctx.secret("token"), "Accept", "application/scim+json, application/json"));
  }

  private static boolean filterSupported(SourceHttp.Response spc) {
    JsonNode body = parseOrNull(spc.body());
    return body != null && body.path("filter").path("supported").asBoolean(false);
  }

  /**
   * Where a page starts: the phase (users, groups), the 1-based startIndex, whether this run filters
   * on meta.lastModified, and per phase the latest change seen and the listing's start bound.
   */
  record Cursor(String phase, int index, boolean filtered, String usersMax, String usersCap, String groupsMax, String groupsCap) {}

  /** Where the next incremental job starts: the latest meta.lastModified of users and of groups. */
  record State(String users, String groups) {}

  private final class Session implements SourceSession {
    private final SourceContext ctx;
    private final String base;
    private final int pageSize;
    /** The watermarks of an incremental run; null in a complete run. */
    private final State since;

    Session(SourceContext ctx, SyncMode mode) {
      this.ctx = ctx;
      this.base = base(ctx);
      this.pageSize = Integer.parseInt(ctx.setting("pageSize", String.valueOf(DEFAULT_PAGE)));
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
      if (cursorJson != null) {
        return page(EventJson.read(cursorJson, Cursor.class));
      }
      if (since == null) {
        return page(new Cursor("users", 1, false, null, null, null, null));
      }
      // Filter only when the server says it can; a server that cannot is listed in full.
      return http.send(ctx.connectionId(), ctx.stats(), request(ctx, base + "/ServiceProviderConfig"))
          .chain(spc -> page(new Cursor("users", 1, spc.status() == 200 && filterSupported(spc), null, null, null, null)));
    }

    private Uni<Page> page(Cursor c) {
      boolean users = c.phase().equals("users");
      String watermark = since == null ? null : users ? since.users() : since.groups();
      boolean filtered = c.filtered() && watermark != null;
      String url = base + (users ? "/Users" : "/Groups") + "?startIndex=" + c.index() + "&count=" + pageSize
          + (filtered ? "&filter=" + enc("meta.lastModified gt \"" + watermark + "\"") : "");
      return http.send(ctx.connectionId(), ctx.stats(), request(ctx, url)).chain(r -> {
        if (r.status() == 400 && filtered) {
          // It claims filter support but not for meta.lastModified: list this phase and the next in full.
          return page(new Cursor(c.phase(), 1, false, c.usersMax(), c.usersCap(), c.groupsMax(), c.groupsCap()));
        }
        if (r.status() != 200) {
          throw failure(r, users ? "/Users" : "/Groups");
        }
        return Uni.createFrom().item(read(c, r, users));
      });
    }

    private Page read(Cursor c, SourceHttp.Response r, boolean users) {
      JsonNode body = parseOrNull(r.body());
      if (body == null || !body.has("totalResults")) {
        throw SourceException.rejected("the SCIM server answered " + path(base, users ? "/Users" : "/Groups") + " without a SCIM ListResponse");
      }
      JsonNode resources = body.has("Resources") ? body.get("Resources") : body.path("resources");
      List<SourceChange> changes = new ArrayList<>();
      String max = users ? c.usersMax() : c.groupsMax();
      for (JsonNode res : resources) {
        String id = res.path("id").asText("");
        if (id.isEmpty()) {
          continue;
        }
        max = Watermarks.later(max, res.path("meta").path("lastModified").asText(null));
        if (users) {
          changes.add(new SourceChange.UserSeen(id, ScimPullNormalizer.user(res), false));
        } else {
          changes.add(new SourceChange.GroupSeen(id, ScimPullNormalizer.group(res), false));
          changes.add(new SourceChange.MembersFull(id, ScimPullNormalizer.members(res)));
        }
      }
      String cap = (users ? c.usersCap() : c.groupsCap()) != null ? (users ? c.usersCap() : c.groupsCap()) : Watermarks.cap(r);
      Cursor marked = users
          ? new Cursor(c.phase(), c.index(), c.filtered(), max, cap, c.groupsMax(), c.groupsCap())
          : new Cursor(c.phase(), c.index(), c.filtered(), c.usersMax(), c.usersCap(), max, cap);
      int n = resources.size();
      long total = body.path("totalResults").asLong();
      if (n > 0 && c.index() + n - 1 < total) {
        return Page.more(changes, EventJson.write(at(marked, c.phase(), c.index() + n)));
      }
      if (users) {
        return Page.more(changes, EventJson.write(at(marked, "groups", 1)));
      }
      return Page.last(changes, EventJson.write(new State(
          Watermarks.next(marked.usersMax(), marked.usersCap(), since == null ? null : since.users()),
          Watermarks.next(marked.groupsMax(), marked.groupsCap(), since == null ? null : since.groups()))));
    }

    private Cursor at(Cursor c, String phase, int index) {
      return new Cursor(phase, index, c.filtered(), c.usersMax(), c.usersCap(), c.groupsMax(), c.groupsCap());
    }

    private SourceException failure(SourceHttp.Response r, String endpoint) {
      if (r.status() == 401) {
        return SourceException.invalidCredentials(refused());
      }
      return SourceException.rejected(describe(r.status(), scimType(r.body()), path(base, endpoint)));
    }
  }

  /** The RFC 7644 error's scimType (invalidFilter, tooMany ...); never its detail, which may echo input. */
  static String scimType(String body) {
    JsonNode n = parseOrNull(body);
    return n == null ? "" : n.path("scimType").asText("");
  }

  private static JsonNode parseOrNull(String body) {
    try {
      return body == null || body.isBlank() ? null : EventJson.mapper().readTree(body);
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
