package dev.dsync.reconciler.filters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.unboundid.scim2.common.exceptions.ScimException;
import com.unboundid.scim2.common.filters.Filter;
import com.unboundid.scim2.common.utils.FilterEvaluator;
import dev.dsync.platform.errors.Problem.FieldError;
import dev.dsync.reconciler.mapping.Mapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** Decides whether a source user is in scope (managed), compiled once per rules version. */
public final class ScopeFilter {

  private final Filter include;
  private final Filter exclude;
  private final Set<String> departments;
  private final Set<String> organizations;
  private final List<String> groups;

  private ScopeFilter(ScopeRules rules) {
    this.groups = rules.groups();
    this.include = parse(rules.include());
    this.exclude = parse(rules.exclude());
    this.departments = lower(rules.departments());
    this.organizations = lower(rules.organizations());
  }

  public static ScopeFilter of(ScopeRules rules) {
    return new ScopeFilter(rules == null ? ScopeRules.everything() : rules);
  }

  /** Checks the expressions; answers one error per invalid field. */
  public static List<FieldError> validate(ScopeRules rules, String field) {
    List<FieldError> errors = new ArrayList<>();
    if (rules == null) {
      return errors;
    }
    for (int i = 0; i < rules.groups().size(); i++) {
      String g = rules.groups().get(i);
      if (g == null || g.isBlank()) {
        errors.add(new FieldError(field + ".groups[" + i + "]", "must be a source group id"));
      }
    }
    for (String[] f : new String[][] {{"include", rules.include()}, {"exclude", rules.exclude()}}) {
      if (f[1] != null) {
        try {
          Filter.fromString(f[1]);
        } catch (ScimException | RuntimeException e) {
          errors.add(new FieldError(field + "." + f[0], "is not a valid SCIM filter: " + e.getMessage()));
        }
      }
    }
    return errors;
  }

  /** Source group ids whose direct members alone are in scope; empty when scope does not depend on groups. */
  public List<String> groups() {
    return groups;
  }

  /** True if the resource passes the attribute rules (group scope is checked against memberships by the caller). */
  public boolean inScope(ObjectNode resource) {
    if (include != null && !matches(include, resource)) {
      return false;
    }
    if (exclude != null && matches(exclude, resource)) {
      return false;
    }
    if (!departments.isEmpty() && !departments.contains(enterprise(resource, "department"))) {
      return false;
    }
    return organizations.isEmpty() || organizations.contains(enterprise(resource, "organization"));
  }

  private static boolean matches(Filter filter, ObjectNode resource) {
    try {
      return FilterEvaluator.evaluate(filter, resource);
    } catch (ScimException e) {
      // An expression that cannot be evaluated on this resource (e.g. comparing an object) does not match.
      return false;
    }
  }

  private static String enterprise(ObjectNode resource, String attribute) {
    JsonNode v = resource.path(Mapper.ENTERPRISE).path(attribute);
    return v.isTextual() ? v.asText().toLowerCase(Locale.ROOT) : null;
  }

  private static Filter parse(String expression) {
    if (expression == null || expression.isBlank()) {
      return null;
    }
    try {
      return Filter.fromString(expression);
    } catch (ScimException e) {
      throw new IllegalArgumentException("invalid SCIM filter: " + e.getMessage(), e);
    }
  }

  private static Set<String> lower(List<String> values) {
    return values.stream().map(v -> v.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
  }
}
