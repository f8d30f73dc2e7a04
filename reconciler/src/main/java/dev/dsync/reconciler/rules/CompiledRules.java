package dev.dsync.reconciler.rules;

import dev.dsync.reconciler.filters.ScopeFilter;
import dev.dsync.reconciler.mapping.Mapper;

/** A rules version ready to apply: mappers and filters parsed once. Version 0 = the defaults. */
public record CompiledRules(int version, Rules rules, Mapper users, Mapper groups, ScopeFilter scope) {

  public static CompiledRules compile(int version, Rules rules) {
    return new CompiledRules(version, rules, Mapper.forUsers(rules.mappings()), Mapper.forGroups(), ScopeFilter.of(rules.scope()));
  }
}
