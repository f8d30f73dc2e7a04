package dev.dsync.poller.graph;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Microsoft Graph (Entra ID) through delta queries ("Use delta query to track changes in Microsoft
 * Graph data", user: delta, group: delta): users then groups, {@code @odata.nextLink} pages up to an
 * {@code @odata.deltaLink}, which the next incremental job starts from; {@code @removed} entries are
 * deletions; {@code members@delta} carries membership. A complete job is a fresh delta round.
 * An expired delta link (400/410 syncStateNotFound, resyncRequired) fails with DELTA_EXPIRED.
 */
@ApplicationScoped
public class GraphConnector implements Connector {

  private final SourceHttp http;
  private final GraphTokens tokens;

  public GraphConnector(SourceHttp http, GraphTokens tokens) {
    this.http = http;
    this.tokens = tokens;
  }

  @Override
  public ConnectionType type() {
    return ConnectionType.MICROSOFT_GRAPH;
  }

  @Override
  public List<String> credentialFields() {
    return List.of("clientSecret");
  }

  @Override
  public List<Problem.FieldError> validate(ObjectNode settings, ObjectNode scope, ObjectNode credentials) {
    List<Problem.FieldError> errors = new ArrayList<>();
    require(settings, "tenantId", "settings.tenantId", "the Entra tenant id or domain is required", errors);
    require(settings, "clientId", "settings.clientId", "the application (client) id is required", errors);
    require(credentials, "clientSecret", "credentials.clientSecret", "the client secret is required", errors);
    for (String url : List.of("baseUrl", "authorityUrl")) {
      JsonNode v = settings.get(url);
      if (v != null && !v.asText().matches("https?://[^\\s]+")) {
        errors.add(new Problem.FieldError("settings." + url, "must be an http(s) URL"));
      }
    }
    JsonNode size = settings.get("pageSize");
    if (size != null && (!size.canConvertToInt() || size.asInt() < 1 || size.asInt() > 999)) {
      errors.add(new Problem.FieldError("settings.pageSize", "must be between 1 and 999 (Graph's odata.maxpagesize limit)"));
    }
    if (scope != null && !scope.isEmpty()) {
      errors.add(new Problem.FieldError("scope", "Graph connections read the whole tenant in this version; scope must be empty"));
    }
    return errors;
  }

  private static void require(ObjectNode node, String field, String name, String message, List<Problem.FieldError> errors) {
    if (node == null || node.get(field) == null || node.get(field).asText().isBlank()) {
      errors.add(new Problem.FieldError(name, message));
    }
  }

  @Override
  public SourceSession open(SourceContext ctx, SyncMode mode) {
    return new Session(ctx, mode);
  }

  @Override
  public Uni<TestReport> test(SourceContext ctx) {
    JobStats stats = new JobStats();
    List<TestReport.Check> checks = new ArrayList<>();
    return tokens.token(ctx, stats)
        .invoke(t -> checks.add(new TestReport.Check("token", true, "client credentials accepted")))
        .chain(t -> probe(ctx, stats, t, "/users?$top=1&$select=id", "read users", "User.Read.All", checks)
            .chain(() -> probe(ctx, stats, t, "/groups?$top=1&$select=id", "read groups", "Group.Read.All or GroupMember.Read.All", checks)))
        .map(v -> TestReport.of(checks))
        .onFailure(SourceException.class).recoverWithItem(e -> {
          checks.add(new TestReport.Check("token", false, e.getMessage()));
          return TestReport.of(checks);
        });
  }

  private Uni<Void> probe(SourceContext ctx, JobStats stats, String token, String path, String name, String permission, List<TestReport.Check> checks) {
    return http.send(ctx.connectionId(), stats, SourceHttp.Request.get(base(ctx) + path, Map.of("Authorization", "Bearer " + token)))
        .invoke(r -> checks.add(r.status() == 200
            ? new TestReport.Check(name, true, "ok")
            : new TestReport.Check(name, false, "Graph answered " + r.status() + " " + errorCode(r.body()) + (r.status() == 403
                ? ": grant the application permission " + permission + " with admin consent" : ""))))
        .replaceWithVoid();
  }

  static String base(SourceContext ctx) {
    String b = ctx.setting("baseUrl", "https://graph.microsoft.com/v1.0");
    return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
  }

  /** Where a page starts: the phase (users, groups), the link to GET, and the users' deltaLink once known. */
  record Cursor(String phase, String link, String usersDelta) {}

  /** Where the next incremental job starts. */
  record State(String users, String groups) {}

  private final class Session implements SourceSession {
    private final SourceContext ctx;
    private final SyncMode mode;
    private final String base;

    Session(SourceContext ctx, SyncMode mode) {
      this.ctx = ctx;
      this.mode = mode;
      this.base = base(ctx);
    }

    @Override
    public Uni<Page> next(String cursorJson) {
      Cursor cursor = cursorJson != null ? EventJson.read(cursorJson, Cursor.class) : first();
      return get(cursor.link(), true).map(body -> page(cursor, body));
    }

    private Cursor first() {
      if (mode == SyncMode.INCREMENTAL) {
        if (ctx.incrementalState() == null) {
          throw SourceException.deltaExpired("no delta link stored: a complete sync is needed");
        }
        State s = EventJson.read(ctx.incrementalState(), State.class);
        return new Cursor("users", s.users(), null);
      }
      return new Cursor("users", base + "/users/delta?$select=" + GraphNormalizer.USER_SELECT, null);
    }

    private String groupsStart() {
      if (mode == SyncMode.INCREMENTAL) {
        return EventJson.read(ctx.incrementalState(), State.class).groups();
      }
      return base + "/groups/delta?$select=" + GraphNormalizer.GROUP_SELECT;
    }

    private Page page(Cursor cursor, JsonNode body) {
      boolean users = cursor.phase().equals("users");
      List<SourceChange> changes = new ArrayList<>();
      for (JsonNode item : body.path("value")) {
        String id = item.path("id").asText();
        boolean removed = item.has("@removed");
        if (users) {
          changes.add(removed ? new SourceChange.UserGone(id) : new SourceChange.UserSeen(id, GraphNormalizer.user(item), mode == SyncMode.INCREMENTAL));
          continue;
        }
        if (removed) {
          changes.add(new SourceChange.GroupGone(id));
          continue;
        }
        // A group whose members span pages reappears with only id and members@delta: merge, never overwrite.
        boolean partial = mode == SyncMode.INCREMENTAL || !item.has("displayName");
        changes.add(new SourceChange.GroupSeen(id, GraphNormalizer.group(item), partial));
        JsonNode members = item.get("members@delta");
        if (members != null && members.isArray()) {
          List<MemberRef> added = new ArrayList<>();
          List<MemberRef> gone = new ArrayList<>();
          for (JsonNode m : members) {
            MemberRef ref = new MemberRef(m.path("id").asText(), memberType(m.path("@odata.type").asText()));
            (m.has("@removed") ? gone : added).add(ref);
          }
          changes.add(new SourceChange.MembersDelta(id, added, gone));
        }
      }
      String next = text(body, "@odata.nextLink");
      String delta = text(body, "@odata.deltaLink");
      if (next != null) {
        return Page.more(changes, EventJson.write(new Cursor(cursor.phase(), checked(next), cursor.usersDelta())));
      }
      if (delta == null) {
        throw SourceException.rejected("Graph page has neither @odata.nextLink nor @odata.deltaLink");
      }
      if (users) {
        return Page.more(changes, EventJson.write(new Cursor("groups", groupsStart(), checked(delta))));
      }
      return Page.last(changes, EventJson.write(new State(cursor.usersDelta(), checked(delta))));
    }

    /** Links come from the source: the bearer token is only ever sent to the configured base URL. */
    private String checked(String link) {
      if (!link.startsWith(base + "/")) {
        throw SourceException.rejected("Graph returned a link outside " + base + "; refusing to follow it");
      }
      return link;
    }

    private Uni<JsonNode> get(String url, boolean mayRefresh) {
      return tokens.token(ctx, ctx.stats())
          .chain(token -> http.send(ctx.connectionId(), ctx.stats(), SourceHttp.Request.get(url, Map.of(
              "Authorization", "Bearer " + token,
              "Prefer", "odata.maxpagesize=" + ctx.setting("pageSize", "500")))))
          .chain(r -> {
            if (r.status() == 200) {
              return Uni.createFrom().item(parse(r.body()));
            }
            String code = errorCode(r.body());
            if (r.status() == 401 && mayRefresh) {
              tokens.forget(ctx);
              return get(url, false);
            }
            if (r.status() == 401) {
              throw SourceException.invalidCredentials("Graph refused a fresh token (401 " + code + ")");
            }
            if (r.status() == 410 || "syncStateNotFound".equalsIgnoreCase(code) || "resyncRequired".equalsIgnoreCase(code)) {
              throw SourceException.deltaExpired("Graph no longer accepts the delta link (" + r.status() + " " + code + ")");
            }
            if (r.status() == 403) {
              throw SourceException.rejected("Graph answered 403 " + code + ": grant User.Read.All and GroupMember.Read.All application permissions");
            }
            throw SourceException.rejected("Graph answered " + r.status() + " " + code);
          });
    }
  }

  private static String memberType(String odataType) {
    return switch (odataType) {
      case "#microsoft.graph.group" -> "Group";
      case "#microsoft.graph.user" -> "User";
      default -> odataType.isEmpty() ? "User" : odataType.substring(odataType.lastIndexOf('.') + 1);
    };
  }

  static String errorCode(String body) {
    JsonNode n = parse(body);
    return n.path("error").path("code").asText("");
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? EventJson.mapper().createObjectNode() : EventJson.mapper().readTree(body);
    } catch (java.io.IOException e) {
      throw SourceException.rejected("Graph answered something that is not JSON");
    }
  }
}
