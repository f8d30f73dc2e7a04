package dev.dsync.poller.ldap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.asn1.ASN1OctetString;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.controls.SimplePagedResultsControl;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.SSLUtil;
import dev.dsync.events.EventJson;
import dev.dsync.events.source.MemberRef;
import dev.dsync.events.source.SyncMode;
import dev.dsync.platform.errors.Problem;
import dev.dsync.poller.source.ConnectionType;
import dev.dsync.poller.source.Connector;
import dev.dsync.poller.source.Page;
import dev.dsync.poller.source.SourceChange;
import dev.dsync.poller.source.SourceContext;
import dev.dsync.poller.source.SourceException;
import dev.dsync.poller.source.SourceSession;
import dev.dsync.poller.source.TestReport;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;

/**
 * LDAP v3 directories and Active Directory with the UnboundID LDAP SDK: users then groups, each read
 * with the simple paged results control (RFC 2696); incremental runs search for entries whose
 * {@code modifyTimestamp} (OpenLDAP and most servers) or {@code uSNChanged} (AD) is at or past the
 * last watermark; deletions show up in complete runs. Group members are DNs, resolved to the
 * member's id and type, nested groups included. SDK calls block, so they run on worker threads.
 */
@ApplicationScoped
public class LdapConnector implements Connector {

  private static final int DN_CACHE = 50_000;

  @Override
  public ConnectionType type() {
    return ConnectionType.LDAP;
  }

  @Override
  public List<String> credentialFields() {
    return List.of("bindPassword");
  }

  @Override
  public List<Problem.FieldError> validate(ObjectNode settings, ObjectNode scope, ObjectNode credentials) {
    List<Problem.FieldError> errors = new ArrayList<>();
    String url = text(settings, "url");
    if (url == null || !url.matches("ldaps?://[^\\s/]+(:\\d+)?/?")) {
      errors.add(new Problem.FieldError("settings.url", "must be ldap://host:port or ldaps://host:port"));
    }
    String bindDn = text(settings, "bindDn");
    if (bindDn != null && !DN.isValidDN(bindDn)) {
      errors.add(new Problem.FieldError("settings.bindDn", "is not a valid DN"));
    }
    if (bindDn != null && text(credentials, "bindPassword") == null) {
      errors.add(new Problem.FieldError("credentials.bindPassword", "is required with settings.bindDn"));
    }
    String flavor = text(settings, "flavor");
    if (flavor != null && !flavor.equals("openldap") && !flavor.equals("active-directory")) {
      errors.add(new Problem.FieldError("settings.flavor", "must be openldap or active-directory"));
    }
    String base = scope == null ? null : text(scope, "baseDn");
    if (base == null || !DN.isValidDN(base)) {
      errors.add(new Problem.FieldError("scope.baseDn", "a valid base DN is required"));
    }
    for (String f : List.of("userFilter", "groupFilter")) {
      String v = scope == null ? null : text(scope, f);
      if (v != null) {
        try {
          Filter.create(v);
        } catch (LDAPException e) {
          errors.add(new Problem.FieldError("scope." + f, "is not a valid LDAP filter"));
        }
      }
    }
    JsonNode size = settings.get("pageSize");
    if (size != null && (!size.canConvertToInt() || size.asInt() < 1 || size.asInt() > 5000)) {
      errors.add(new Problem.FieldError("settings.pageSize", "must be between 1 and 5000"));
    }
    return errors;
  }

  @Override
  public SourceSession open(SourceContext ctx, SyncMode mode) {
    return new Session(new Settings(ctx), ctx, mode);
  }

  @Override
  public Uni<TestReport> test(SourceContext ctx) {
    Settings s = new Settings(ctx);
    return blocking(() -> {
      List<TestReport.Check> checks = new ArrayList<>();
      try (LDAPConnection c = connect(s, ctx)) {
        checks.add(new TestReport.Check("connect and bind", true, s.bindDn == null ? "anonymous" : "bound as " + s.bindDn));
        try {
          Entry base = c.getEntry(s.baseDn);
          checks.add(base == null
              ? new TestReport.Check("base DN", false, s.baseDn + " does not exist or is not visible to the bind DN")
              : new TestReport.Check("base DN", true, "readable"));
          SearchResult users = c.search(new SearchRequest(s.baseDn, SearchScope.SUB, s.userFilter, "1.1"));
          checks.add(new TestReport.Check("user filter", users.getEntryCount() > 0, users.getEntryCount() + " entries match"));
        } catch (LDAPException e) {
          checks.add(new TestReport.Check("search", false, describe(e)));
        }
      } catch (SourceException e) {
        checks.add(new TestReport.Check("connect and bind", false, e.getMessage()));
      }
      return TestReport.of(checks);
    });
  }

  /** Connection settings read once per session. */
  static final class Settings {
    final String url;
    final String bindDn;
    final boolean startTls;
    final String trustPem;
    final boolean ad;
    final String baseDn;
    final Filter userFilter;
    final Filter groupFilter;
    final int pageSize;
    final String idAttribute;
    final String changeAttribute;
    final String userNameAttribute;

    Settings(SourceContext ctx) {
      url = ctx.setting("url", null);
      bindDn = ctx.setting("bindDn", null);
      startTls = Boolean.parseBoolean(ctx.setting("startTls", "false"));
      trustPem = ctx.setting("trustStorePem", null);
      ad = "active-directory".equals(ctx.setting("flavor", "openldap"));
      baseDn = text(ctx.scope(), "baseDn");
      pageSize = Integer.parseInt(ctx.setting("pageSize", "500"));
      idAttribute = ad ? "objectGUID" : "entryUUID";
      changeAttribute = ad ? "uSNChanged" : "modifyTimestamp";
      userNameAttribute = ctx.setting("userNameAttribute", ad ? "userPrincipalName" : "uid");
      try {
        userFilter = Filter.create(orDefault(text(ctx.scope(), "userFilter"),
            ad ? "(&(objectCategory=person)(objectClass=user))" : "(|(objectClass=inetOrgPerson)(objectClass=person))"));
        groupFilter = Filter.create(orDefault(text(ctx.scope(), "groupFilter"),
            ad ? "(objectClass=group)" : "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))"));
      } catch (LDAPException e) {
        throw SourceException.rejected("invalid LDAP filter in scope");
      }
    }
  }

  /** Where a page starts: phase, the paged-results cookie, and the highest change value seen so far. */
  record Cursor(String phase, String cookie, String max) {}

  /** Where the next incremental job starts. */
  record State(String watermark) {}

  private final class Session implements SourceSession {
    private final Settings s;
    private final SourceContext ctx;
    private final SyncMode mode;
    private final String watermark;
    private final Map<String, MemberRef> dnCache = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, MemberRef> eldest) {
        return size() > DN_CACHE;
      }
    };
    private LDAPConnection connection;
    private String liveCookie;

    Session(Settings s, SourceContext ctx, SyncMode mode) {
      this.s = s;
      this.ctx = ctx;
      this.mode = mode;
      String state = mode == SyncMode.INCREMENTAL ? ctx.incrementalState() : null;
      this.watermark = state == null ? null : EventJson.read(state, State.class).watermark();
    }

    @Override
    public Uni<Page> next(String cursorJson) {
      return blocking(() -> page(cursorJson == null ? new Cursor("users", null, watermark) : EventJson.read(cursorJson, Cursor.class)));
    }

    private Page page(Cursor cursor) {
      if (connection == null) {
        connection = connect(s, ctx);
      }
      boolean users = cursor.phase().equals("users");
      // A paged-results cookie belongs to the connection that began the search. A cursor from an
      // earlier process restarts this phase: pages already committed compare equal to the snapshot.
      String cookie = cursor.cookie() != null && cursor.cookie().equals(liveCookie) ? cursor.cookie() : null;
      Filter filter = users ? s.userFilter : s.groupFilter;
      if (mode == SyncMode.INCREMENTAL && watermark != null) {
        filter = Filter.createANDFilter(filter, s.ad
            ? Filter.createGreaterOrEqualFilter(s.changeAttribute, String.valueOf(Long.parseLong(watermark) + 1))
            : Filter.createGreaterOrEqualFilter(s.changeAttribute, watermark));
      }
      try {
        SearchRequest req = new SearchRequest(s.baseDn, SearchScope.SUB, filter, "*", s.idAttribute, s.changeAttribute);
        req.setControls(new SimplePagedResultsControl(s.pageSize, cookie == null ? null : new ASN1OctetString(Base64.getDecoder().decode(cookie)), true));
        SearchResult result = connection.search(req);
        ctx.stats().inc("requests");
        String max = cursor.max();
        List<SourceChange> changes = new ArrayList<>();
        for (SearchResultEntry e : result.getSearchEntries()) {
          String id = id(e);
          if (id == null) {
            continue;
          }
          max = later(max, e.getAttributeValue(s.changeAttribute));
          String dn = normalize(e.getDN());
          if (users) {
            dnCache.put(dn, new MemberRef(id, "User"));
            changes.add(new SourceChange.UserSeen(id, LdapNormalizer.user(id, e, s.userNameAttribute), false));
          } else {
            dnCache.put(dn, new MemberRef(id, "Group"));
            changes.add(new SourceChange.GroupSeen(id, LdapNormalizer.group(id, e), false));
            changes.add(new SourceChange.MembersFull(id, members(e)));
          }
        }
        SimplePagedResultsControl paged = SimplePagedResultsControl.get(result);
        if (paged != null && paged.moreResultsToReturn()) {
          liveCookie = Base64.getEncoder().encodeToString(paged.getCookie().getValue());
          return Page.more(changes, EventJson.write(new Cursor(cursor.phase(), liveCookie, max)));
        }
        liveCookie = null;
        if (users) {
          return Page.more(changes, EventJson.write(new Cursor("groups", null, max)));
        }
        return Page.last(changes, EventJson.write(new State(max == null ? watermark : max)));
      } catch (LDAPException e) {
        throw failure(e);
      }
    }

    private List<MemberRef> members(Entry group) throws LDAPException {
      List<MemberRef> out = new ArrayList<>();
      for (String attr : List.of("member", "uniqueMember")) {
        String[] dns = group.getAttributeValues(attr);
        if (dns == null) {
          continue;
        }
        for (String dn : dns) {
          MemberRef ref = resolve(dn);
          if (ref != null) {
            out.add(ref);
          }
        }
      }
      return out;
    }

    /** A member DN as id and type; null for entries outside the base DN or neither user nor group. */
    private MemberRef resolve(String rawDn) throws LDAPException {
      String dn;
      try {
        dn = normalize(rawDn);
        if (!new DN(rawDn).isDescendantOf(s.baseDn, true)) {
          return null;
        }
      } catch (LDAPException e) {
        return null;
      }
      if (dnCache.containsKey(dn)) {
        return dnCache.get(dn);
      }
      Entry e = connection.getEntry(rawDn, "*", s.idAttribute);
      ctx.stats().inc("requests");
      MemberRef ref = null;
      if (e != null && id(e) != null) {
        if (s.userFilter.matchesEntry(e)) {
          ref = new MemberRef(id(e), "User");
        } else if (s.groupFilter.matchesEntry(e)) {
          ref = new MemberRef(id(e), "Group");
        }
      }
      dnCache.put(dn, ref);
      return ref;
    }

    private String id(Entry e) {
      if (s.ad) {
        byte[] guid = e.getAttributeValueBytes("objectGUID");
        return guid == null ? null : adGuid(guid);
      }
      return e.getAttributeValue("entryUUID");
    }

    private String later(String a, String b) {
      if (b == null) {
        return a;
      }
      if (a == null) {
        return b;
      }
      if (s.ad) {
        return Long.parseLong(b) > Long.parseLong(a) ? b : a;
      }
      // Generalized time: same format from one server, so text order is time order.
      return b.compareTo(a) > 0 ? b : a;
    }

    @Override
    public void close() {
      if (connection != null) {
        connection.close();
      }
    }
  }

  static LDAPConnection connect(Settings s, SourceContext ctx) {
    try {
      LDAPURL url = new LDAPURL(s.url);
      LDAPConnectionOptions options = new LDAPConnectionOptions();
      options.setConnectTimeoutMillis(10_000);
      options.setResponseTimeoutMillis(60_000);
      boolean ldaps = "ldaps".equalsIgnoreCase(url.getScheme());
      SSLUtil ssl = ldaps || s.startTls ? sslUtil(s.trustPem) : null;
      if (ssl != null) {
        options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));
      }
      LDAPConnection c = ldaps
          ? new LDAPConnection(ssl.createSSLSocketFactory(), options, url.getHost(), url.getPort())
          : new LDAPConnection(options, url.getHost(), url.getPort());
      try {
        if (!ldaps && s.startTls) {
          ResultCode rc = c.processExtendedOperation(new StartTLSExtendedRequest(ssl.createSSLContext())).getResultCode();
          if (rc != ResultCode.SUCCESS) {
            throw SourceException.rejected("StartTLS refused: " + rc);
          }
        }
        if (s.bindDn != null) {
          c.bind(s.bindDn, ctx.secret("bindPassword"));
        }
        return c;
      } catch (LDAPException | RuntimeException e) {
        c.close();
        throw e;
      }
    } catch (LDAPException e) {
      throw failure(e);
    } catch (java.security.GeneralSecurityException e) {
      throw SourceException.rejected("TLS setup failed: " + e.getClass().getSimpleName());
    }
  }

  private static SSLUtil sslUtil(String pem) throws java.security.GeneralSecurityException {
    if (pem == null) {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init((KeyStore) null);
      return new SSLUtil(tmf.getTrustManagers());
    }
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        ks.setCertificateEntry("ca-" + i++, cert);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      return new SSLUtil(tmf.getTrustManagers());
    } catch (java.io.IOException e) {
      throw new java.security.GeneralSecurityException("trust store PEM unreadable");
    }
  }

  static SourceException failure(LDAPException e) {
    ResultCode rc = e.getResultCode();
    if (rc == ResultCode.INVALID_CREDENTIALS) {
      return SourceException.invalidCredentials("the LDAP server refused the bind DN and password (49 invalidCredentials)");
    }
    if (rc == ResultCode.CONNECT_ERROR || rc == ResultCode.SERVER_DOWN || rc == ResultCode.TIMEOUT || rc == ResultCode.UNAVAILABLE || rc == ResultCode.BUSY) {
      return SourceException.unavailable("LDAP server unreachable or busy (" + rc + ")");
    }
    return SourceException.rejected(describe(e));
  }

  static String describe(LDAPException e) {
    ResultCode rc = e.getResultCode();
    if (rc == ResultCode.NO_SUCH_OBJECT) {
      return "the base DN does not exist (32 noSuchObject)";
    }
    if (rc == ResultCode.INSUFFICIENT_ACCESS_RIGHTS) {
      return "the bind DN may not read the base DN (50 insufficientAccessRights)";
    }
    if (rc == ResultCode.UNAVAILABLE_CRITICAL_EXTENSION) {
      return "the server does not support the paged results control";
    }
    return "LDAP error " + rc;
  }

  /** objectGUID bytes in AD's string form (the first three groups little-endian). */
  static String adGuid(byte[] b) {
    if (b.length != 16) {
      return Base64.getEncoder().encodeToString(b);
    }
    return String.format(Locale.ROOT, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  }

  private static String normalize(String dn) throws LDAPException {
    return new DN(dn).toNormalizedString();
  }

  private static <T> Uni<T> blocking(Supplier<T> work) {
    return Uni.createFrom().item(work).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
  }

  private static String orDefault(String v, String fallback) {
    return v == null ? fallback : v;
  }
}
