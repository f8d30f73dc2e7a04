package dev.dsync.reconciler.filters;

import java.util.List;

/**
 * Which source users are managed: {@code include} and {@code exclude} are SCIM filter expressions
 * (RFC 7644 §3.4.2.2) over the source resource; {@code departments} limits to the enterprise
 * department (case-insensitive), {@code organizations} to the enterprise organization (OU);
 * {@code groups} (source group ids) limits to direct members of at least one of those groups.
 */
public record ScopeRules(String include, String exclude, List<String> departments, List<String> organizations, List<String> groups) {

  public ScopeRules {
    departments = departments == null ? List.of() : List.copyOf(departments);
    organizations = organizations == null ? List.of() : List.copyOf(organizations);
    groups = groups == null ? List.of() : List.copyOf(groups);
  }

  public static ScopeRules everything() {
    return new ScopeRules(null, null, List.of(), List.of(), List.of());
  }
}
