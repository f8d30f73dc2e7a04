package dev.dsync.reconciler.filters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScopeFilterTest {

  private static ObjectNode user(String userName, String department, boolean active) {
    ObjectNode n = EventJson.mapper().createObjectNode();
    n.put("userName", userName);
    n.put("active", active);
    n.putObject("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").put("department", department).put("organization", "EMEA");
    return n;
  }

  @Test
  void include_exclude_and_department_scope() {
    ScopeFilter f = ScopeFilter.of(new ScopeRules("active eq true and userName ew \"@corp.test\"", "userName sw \"svc-\"", List.of("Finance", "sales"), List.of(), null));
    assertThat(f.inScope(user("ann@corp.test", "finance", true))).isTrue();
    assertThat(f.inScope(user("ann@corp.test", "Engineering", true))).as("department out of scope").isFalse();
    assertThat(f.inScope(user("ann@other.test", "Finance", true))).as("include fails").isFalse();
    assertThat(f.inScope(user("svc-bot@corp.test", "Finance", true))).as("excluded").isFalse();
    assertThat(f.inScope(user("ann@corp.test", "Sales", false))).as("inactive").isFalse();
    ScopeFilter urn = ScopeFilter.of(new ScopeRules("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Finance\"", null, null, List.of("emea"), null));
    assertThat(urn.inScope(user("x", "Finance", true))).isTrue();
    assertThat(urn.inScope(user("x", "Legal", true))).isFalse();
    assertThat(ScopeFilter.of(null).inScope(user("x", "y", false))).isTrue();
  }

  @Test
  void invalid_expressions_are_reported_per_field() {
    assertThat(ScopeFilter.validate(new ScopeRules("userName eq", "(", null, null, List.of(" ")), "scope"))
        .extracting(e -> e.field()).containsExactly("scope.groups[0]", "scope.include", "scope.exclude");
  }
}
