package dev.dsync.reconciler.rules;

import dev.dsync.platform.errors.Problem.FieldError;
import dev.dsync.reconciler.conflicts.ConflictRules;
import dev.dsync.reconciler.filters.ScopeFilter;
import dev.dsync.reconciler.filters.ScopeRules;
import dev.dsync.reconciler.mapping.AttributeMapping;
import dev.dsync.reconciler.mapping.Mapper;
import dev.dsync.reconciler.matching.MatchKey;
import dev.dsync.reconciler.thresholds.ActionLimit;
import dev.dsync.reconciler.thresholds.ThresholdRules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * A directory's reconciliation rules. Every part is optional in a request; missing parts take the
 * defaults (default mapping, everything in scope, externalId then primary email then userName,
 * priority 0, deactivate, thresholds on at 100 rows or 5 %).
 */
public record Rules(
    List<AttributeMapping> mappings,
    ScopeRules scope,
    List<MatchKey> correlation,
    ConflictRules conflicts,
    Deprovisioning deprovisioning,
    ThresholdRules thresholds) {

  public Rules {
    mappings = mappings == null ? List.of() : List.copyOf(mappings);
    scope = scope == null ? ScopeRules.everything() : scope;
    correlation = correlation == null || correlation.isEmpty() ? MatchKey.DEFAULT_ORDER : List.copyOf(correlation);
    conflicts = conflicts == null ? new ConflictRules(null, null) : conflicts;
    deprovisioning = deprovisioning == null ? Deprovisioning.defaults() : deprovisioning;
    thresholds = thresholds == null ? ThresholdRules.defaults() : thresholds;
  }

  public static Rules defaults() {
    return new Rules(null, null, null, null, null, null);
  }

  /** Every problem of a rules document, with its field path; empty when valid. */
  public static List<FieldError> validate(Rules r) {
    List<FieldError> errors = new ArrayList<>();
    if (r == null) {
      errors.add(new FieldError("body", "rules are required"));
      return errors;
    }
    errors.addAll(Mapper.validate(r.mappings(), "mappings"));
    HashSet<String> targets = new HashSet<>();
    for (int i = 0; i < r.mappings().size(); i++) {
      AttributeMapping m = r.mappings().get(i);
      if (m != null && m.target() != null && !targets.add(m.target())) {
        errors.add(new FieldError("mappings[" + i + "].target", "is mapped twice"));
      }
    }
    errors.addAll(ScopeFilter.validate(r.scope(), "scope"));
    if (r.correlation().stream().anyMatch(k -> k == null)) {
      errors.add(new FieldError("correlation", "must list EXTERNAL_ID, PRIMARY_EMAIL, USER_NAME or EMPLOYEE_NUMBER"));
    } else if (new HashSet<>(r.correlation()).size() != r.correlation().size()) {
      errors.add(new FieldError("correlation", "lists a key twice"));
    }
    Duration grace = r.deprovisioning().gracePeriod();
    if (grace.isNegative() || grace.isZero()) {
      errors.add(new FieldError("deprovisioning.gracePeriod", "must be positive"));
    }
    ThresholdRules t = r.thresholds();
    limit(t.inserted(), "thresholds.inserted", errors);
    limit(t.updated(), "thresholds.updated", errors);
    limit(t.deleted(), "thresholds.deleted", errors);
    limit(t.windowDeletions(), "thresholds.windowDeletions", errors);
    if (t.window().isNegative() || t.window().isZero() || t.window().compareTo(Duration.ofDays(1)) > 0) {
      errors.add(new FieldError("thresholds.window", "must be between 1 second and 1 day"));
    }
    return errors;
  }

  private static void limit(ActionLimit l, String field, List<FieldError> errors) {
    if (l.rows() < 0) {
      errors.add(new FieldError(field + ".rows", "must be zero or more"));
    }
    if (l.percent() < 0 || l.percent() > 100) {
      errors.add(new FieldError(field + ".percent", "must be between 0 and 100"));
    }
  }
}
