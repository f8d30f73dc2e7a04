package dev.dsync.reconciler.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.scim2.common.Path;
import com.unboundid.scim2.common.exceptions.ScimException;
import com.unboundid.scim2.common.utils.JsonUtils;
import dev.dsync.platform.errors.Problem.FieldError;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Maps a SCIM-shaped source resource to the flat canonical attribute map ({@code userName},
 * {@code givenName}, ..., {@code emails}, {@code active}, {@code attributes.<name>}). Compiled
 * once per rules version: paths and patterns are parsed up front.
 */
public final class Mapper {

  public static final String ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  public static final String EMAILS = "emails";
  public static final String ACTIVE = "active";
  public static final String ATTRIBUTES_PREFIX = "attributes.";

  /** Canonical top-level user attributes besides {@code attributes.*}. */
  public static final List<String> USER_CORE =
      List.of("externalId", "userName", "givenName", "familyName", "displayName", EMAILS, ACTIVE);

  private static final Pattern TARGET_NAME = Pattern.compile("attributes\\.[A-Za-z][A-Za-z0-9_\\-]{0,63}");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]+)}");

  /** What every directory gets unless its rules override a target. */
  public static final List<AttributeMapping> DEFAULT_USER_MAPPINGS =
      List.of(
          AttributeMapping.of("externalId", "externalId"),
          AttributeMapping.of("userName", "userName"),
          AttributeMapping.of("givenName", "name.givenName"),
          AttributeMapping.of("familyName", "name.familyName"),
          AttributeMapping.of("displayName", "displayName"),
          AttributeMapping.of(EMAILS, EMAILS),
          AttributeMapping.of(ACTIVE, ACTIVE),
          AttributeMapping.of("attributes.title", "title"),
          AttributeMapping.of("attributes.department", ENTERPRISE + ":department"),
          AttributeMapping.of("attributes.employeeNumber", ENTERPRISE + ":employeeNumber"),
          AttributeMapping.of("attributes.costCenter", ENTERPRISE + ":costCenter"),
          AttributeMapping.of("attributes.organization", ENTERPRISE + ":organization"),
          AttributeMapping.of("attributes.division", ENTERPRISE + ":division"),
          AttributeMapping.of("attributes.manager", ENTERPRISE + ":manager.value"));

  /** Groups map their own few attributes; membership travels separately. */
  public static final List<AttributeMapping> DEFAULT_GROUP_MAPPINGS =
      List.of(AttributeMapping.of("externalId", "externalId"), AttributeMapping.of("displayName", "displayName"));

  private final List<Compiled> mappings;

  private Mapper(List<Compiled> mappings) {
    this.mappings = mappings;
  }

  /** The defaults with each custom mapping replacing the default of its target (or added). */
  public static Mapper forUsers(List<AttributeMapping> custom) {
    Map<String, AttributeMapping> byTarget = new LinkedHashMap<>();
    DEFAULT_USER_MAPPINGS.forEach(m -> byTarget.put(m.target(), m));
    if (custom != null) {
      custom.forEach(m -> byTarget.put(m.target(), m));
    }
    return compile(List.copyOf(byTarget.values()));
  }

  public static Mapper forGroups() {
    return compile(DEFAULT_GROUP_MAPPINGS);
  }

  static Mapper compile(List<AttributeMapping> mappings) {
    List<FieldError> errors = validate(mappings, "mappings");
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(errors.get(0).field() + ": " + errors.get(0).message());
    }
    return new Mapper(mappings.stream().map(Compiled::new).toList());
  }

  /** Checks mappings without compiling them; answers one error per problem, with its field path. */
  public static List<FieldError> validate(List<AttributeMapping> mappings, String field) {
    List<FieldError> errors = new ArrayList<>();
    if (mappings == null) {
      return errors;
    }
    for (int i = 0; i < mappings.size(); i++) {
      AttributeMapping m = mappings.get(i);
      String at = field + "[" + i + "]";
      if (m == null) {
        errors.add(new FieldError(at, "must not be null"));
        continue;
      }
      if (m.target() == null || !(USER_CORE.contains(m.target()) || TARGET_NAME.matcher(m.target()).matches())) {
        errors.add(new FieldError(at + ".target", "must be one of " + USER_CORE + " or attributes.<name>"));
      }
      if (m.source() != null && parsePath(m.source()) == null) {
        errors.add(new FieldError(at + ".source", "is not a valid SCIM attribute path"));
      }
      boolean generates = m.transforms().stream().anyMatch(t -> t != null && (t.type() == TransformType.TEMPLATE || t.type() == TransformType.DEFAULT));
      if (m.source() == null && !generates) {
        errors.add(new FieldError(at + ".source", "is required unless a TEMPLATE or DEFAULT transform supplies the value"));
      }
      if (m.multiValued() == MultiValued.JOIN && (m.separator() == null || m.separator().isEmpty())) {
        errors.add(new FieldError(at + ".separator", "is required for JOIN"));
      }
      for (int j = 0; j < m.transforms().size(); j++) {
        validateTransform(m.transforms().get(j), at + ".transforms[" + j + "]", errors);
      }
    }
    return errors;
  }

  private static void validateTransform(Transform t, String at, List<FieldError> errors) {
    if (t == null || t.type() == null) {
      errors.add(new FieldError(at + ".type", "is required: one of TRIM, LOWER, UPPER, REGEX_REPLACE, TEMPLATE, DEFAULT, DATE_FORMAT"));
      return;
    }
    switch (t.type()) {
      case REGEX_REPLACE -> {
        if (t.pattern() == null) {
          errors.add(new FieldError(at + ".pattern", "is required for REGEX_REPLACE"));
        } else {
          try {
            Pattern.compile(t.pattern());
          } catch (PatternSyntaxException e) {
            errors.add(new FieldError(at + ".pattern", "is not a valid regular expression"));
          }
        }
      }
      case TEMPLATE -> {
        if (t.template() == null || t.template().isEmpty()) {
          errors.add(new FieldError(at + ".template", "is required for TEMPLATE"));
        } else {
          Matcher ph = PLACEHOLDER.matcher(t.template());
          while (ph.find()) {
            if (!".".equals(ph.group(1)) && parsePath(ph.group(1)) == null) {
              errors.add(new FieldError(at + ".template", "placeholder {" + ph.group(1) + "} is not a valid SCIM attribute path"));
            }
          }
        }
      }
      case DEFAULT -> {
        if (t.value() == null) {
          errors.add(new FieldError(at + ".value", "is required for DEFAULT"));
        }
      }
      case DATE_FORMAT -> {
        if (t.outputFormat() == null) {
          errors.add(new FieldError(at + ".outputFormat", "is required for DATE_FORMAT"));
        }
        for (String f : new String[] {t.inputFormat(), t.outputFormat()}) {
          if (f != null) {
            try {
              DateTimeFormatter.ofPattern(f);
            } catch (IllegalArgumentException e) {
              errors.add(new FieldError(at + (f == t.inputFormat() ? ".inputFormat" : ".outputFormat"), "is not a valid date pattern"));
            }
          }
        }
      }
      default -> {}
    }
  }

  /** Maps a source resource; absent or null results are left out of the map. Sorted by name. */
  public Map<String, Object> map(ObjectNode resource) {
    Map<String, Object> out = new TreeMap<>();
    for (Compiled m : mappings) {
      Object v = m.apply(resource);
      if (v != null && !(v instanceof String s && s.isEmpty()) && !(v instanceof List<?> l && l.isEmpty())) {
        out.put(m.mapping.target(), v);
      }
    }
    return out;
  }

  static Path parsePath(String path) {
    try {
      return Path.fromString(path);
    } catch (ScimException | RuntimeException e) {
      return null;
    }
  }

  /** Values at a path, arrays flattened; empty when absent. */
  static List<JsonNode> values(Path path, ObjectNode resource) {
    List<JsonNode> out = new ArrayList<>();
    try {
      for (JsonNode n : JsonUtils.findMatchingPaths(path, resource)) {
        if (n == null || n.isNull() || n.isMissingNode()) {
          continue;
        }
        if (n.isArray()) {
          n.forEach(e -> {
            if (!e.isNull()) {
              out.add(e);
            }
          });
        } else {
          out.add(n);
        }
      }
    } catch (ScimException e) {
      // A path that does not fit this resource's shape simply has no value here.
    }
    // The source's primary value first, so FIRST picks it.
    out.sort((a, b) -> Boolean.compare(b.path("primary").asBoolean(false), a.path("primary").asBoolean(false)));
    return out;
  }

  private static final class Compiled {
    final AttributeMapping mapping;
    final Path source;
    final List<Step> steps;
    final boolean emails;

    Compiled(AttributeMapping mapping) {
      this.mapping = mapping;
      this.source = mapping.source() == null ? null : parsePath(mapping.source());
      this.steps = mapping.transforms().stream().map(Step::new).toList();
      this.emails = EMAILS.equals(mapping.target());
    }

    Object apply(ObjectNode resource) {
      List<JsonNode> raw = source == null ? List.of() : values(source, resource);
      if (emails) {
        return emails(raw, resource);
      }
      if (ACTIVE.equals(mapping.target())) {
        String v = raw.isEmpty() ? null : text(raw.get(0));
        v = transform(v, resource);
        return v == null ? null : Boolean.valueOf(v.trim().equalsIgnoreCase("true"));
      }
      MultiValued mv = mapping.multiValued() == null ? MultiValued.FIRST : mapping.multiValued();
      List<String> texts = new ArrayList<>();
      for (JsonNode n : raw) {
        String t = text(n);
        if (t != null) {
          texts.add(t);
        }
      }
      if (mv == MultiValued.FIRST || texts.size() <= 1 && mv != MultiValued.ALL) {
        return transform(texts.isEmpty() ? null : texts.get(0), resource);
      }
      List<String> transformed = new ArrayList<>();
      for (String t : texts) {
        String v = transform(t, resource);
        if (v != null) {
          transformed.add(v);
        }
      }
      if (transformed.isEmpty()) {
        String fallback = transform(null, resource);
        return fallback == null ? null : mv == MultiValued.ALL ? List.of(fallback) : fallback;
      }
      return mv == MultiValued.ALL ? transformed : String.join(mapping.separator(), transformed);
    }

    private List<Map<String, Object>> emails(List<JsonNode> raw, ObjectNode resource) {
      List<Map<String, Object>> out = new ArrayList<>();
      for (JsonNode n : raw) {
        String value = transform(n.isObject() ? text(n.get("value")) : text(n), resource);
        if (value == null || value.isBlank()) {
          continue;
        }
        Map<String, Object> e = new TreeMap<>();
        e.put("value", value);
        if (n.isObject() && n.hasNonNull("type")) {
          e.put("type", n.get("type").asText());
        }
        e.put("primary", n.isObject() && n.path("primary").asBoolean(false));
        out.add(e);
      }
      return out;
    }

    private String transform(String value, ObjectNode resource) {
      String v = value;
      for (Step s : steps) {
        v = s.apply(v, resource);
      }
      return v;
    }
  }

  private static String text(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return null;
    }
    if (n.isObject()) {
      // A complex value named without a sub-attribute: its "value" is what admins mean.
      return n.hasNonNull("value") ? n.get("value").asText() : null;
    }
    return n.asText();
  }

  private static final class Step {
    final Transform t;
    final Pattern pattern;
    final DateTimeFormatter in;
    final DateTimeFormatter out;
    final List<Object[]> template = new ArrayList<>();

    Step(Transform t) {
      this.t = t;
      this.pattern = t.type() == TransformType.REGEX_REPLACE ? Pattern.compile(t.pattern()) : null;
      this.in = t.inputFormat() == null ? null : DateTimeFormatter.ofPattern(t.inputFormat(), Locale.ROOT);
      this.out = t.outputFormat() == null ? null : DateTimeFormatter.ofPattern(t.outputFormat(), Locale.ROOT).withZone(ZoneOffset.UTC);
      if (t.type() == TransformType.TEMPLATE) {
        Matcher m = PLACEHOLDER.matcher(t.template());
        int last = 0;
        while (m.find()) {
          template.add(new Object[] {t.template().substring(last, m.start())});
          template.add(new Object[] {null, ".".equals(m.group(1)) ? null : parsePath(m.group(1))});
          last = m.end();
        }
        template.add(new Object[] {t.template().substring(last)});
      }
    }

    String apply(String v, ObjectNode resource) {
      return switch (t.type()) {
        case TRIM -> v == null ? null : v.trim();
        case LOWER -> v == null ? null : v.toLowerCase(Locale.ROOT);
        case UPPER -> v == null ? null : v.toUpperCase(Locale.ROOT);
        case REGEX_REPLACE -> v == null ? null : pattern.matcher(v).replaceAll(t.replacement() == null ? "" : t.replacement());
        case DEFAULT -> v == null || v.isBlank() ? t.value() : v;
        case TEMPLATE -> template(v, resource);
        case DATE_FORMAT -> v == null ? null : date(v);
      };
    }

    private String template(String current, ObjectNode resource) {
      StringBuilder sb = new StringBuilder();
      boolean any = false;
      for (Object[] part : template) {
        if (part.length == 1) {
          sb.append((String) part[0]);
          continue;
        }
        String value;
        if (part[1] == null) {
          value = current;
        } else {
          List<JsonNode> vs = values((Path) part[1], resource);
          value = vs.isEmpty() ? null : text(vs.get(0));
        }
        if (value != null && !value.isEmpty()) {
          any = true;
          sb.append(value);
        }
      }
      // A template none of whose placeholders resolved yields nothing, not just its literals.
      return any ? sb.toString() : null;
    }

    private String date(String v) {
      try {
        TemporalAccessor parsed;
        if (in != null) {
          parsed = in.parseBest(v, OffsetDateTime::from, LocalDateTime::from, LocalDate::from);
        } else {
          parsed = DateTimeFormatter.ISO_DATE_TIME.parseBest(v, OffsetDateTime::from, LocalDateTime::from);
        }
        Instant instant =
            parsed instanceof OffsetDateTime o ? o.toInstant()
                : parsed instanceof LocalDateTime l ? l.toInstant(ZoneOffset.UTC)
                : ((LocalDate) parsed).atStartOfDay().toInstant(ZoneOffset.UTC);
        return out.format(instant);
      } catch (DateTimeParseException e) {
        try {
          Instant instant = LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC);
          return out.format(instant);
        } catch (DateTimeParseException e2) {
          // An unparseable source date is passed through rather than dropping the attribute.
          return v;
        }
      }
    }
  }
}
