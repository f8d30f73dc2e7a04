package dev.dsync.scim.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.unboundid.scim2.common.filters.Filter;
import com.unboundid.scim2.common.filters.FilterType;
import dev.dsync.scim.protocol.ScimProblem;
import dev.dsync.scim.schema.ScimSchemas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScimFiltersTest {

  @Test
  void and_binds_tighter_than_or_and_parentheses_override() {
    Filter f = ScimFilters.parse("title pr or userType eq \"Employee\" and active eq true", 4096);
    assertThat(f.getFilterType()).isEqualTo(FilterType.OR);
    assertThat(f.getCombinedFilters().get(1).getFilterType()).isEqualTo(FilterType.AND);

    Filter g = ScimFilters.parse("(title pr or userType eq \"Employee\") and active eq true", 4096);
    assertThat(g.getFilterType()).isEqualTo(FilterType.AND);
    assertThat(g.getCombinedFilters().get(0).getFilterType()).isEqualTo(FilterType.OR);
  }

  @Test
  void value_paths_not_and_sub_attributes_parse() {
    Filter f = ScimFilters.parse("emails[type eq \"work\" and value co \"@example.com\"] and not (name.familyName sw \"J\")", 4096);
    assertThat(f.getCombinedFilters().get(0).getFilterType()).isEqualTo(FilterType.COMPLEX_VALUE);
    assertThat(f.getCombinedFilters().get(1).getFilterType()).isEqualTo(FilterType.NOT);
  }

  @Test
  void every_operator_translates() {
    for (String op : new String[] {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}) {
      SqlWhere w = FilterTranslator.translate(ScimFilters.parse("title " + op + " \"x\"", 4096), ScimSchemas.USERS, 2);
      assertThat(w.params()).hasSize(1);
      assertThat(w.sql()).contains("$2");
    }
    assertThat(FilterTranslator.translate(ScimFilters.parse("title pr", 4096), ScimSchemas.USERS, 2).params()).isEmpty();
  }

  @Test
  void the_indexed_attributes_use_their_columns() {
    assertThat(sql("userName eq \"A@B.com\"")).isEqualTo("(r.user_name_lower = $2)");
    assertThat(sql("externalId eq \"x\"")).isEqualTo("(r.external_id = $2)");
    assertThat(sql("emails.value eq \"a@b.c\"")).isEqualTo("r.emails_lower @> array[lower($2)]");
    assertThat(sql("displayName eq \"x\"")).isEqualTo("(lower(r.display_name) = lower($2))");
    assertThat(FilterTranslator.translate(ScimFilters.parse("userName eq \"A@B.com\"", 4096), ScimSchemas.USERS, 2).params())
        .containsExactly("a@b.com");
  }

  @Test
  void entra_unquoted_values_are_accepted() {
    Filter f = ScimFilters.parse("externalId eq jyoung", 4096);
    assertThat(f.getComparisonValue().asText()).isEqualTo("jyoung");
    Filter g = ScimFilters.parse("id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646", 4096);
    assertThat(g.getFilterType()).isEqualTo(FilterType.AND);
    assertThat(ScimFilters.parse("active eq true", 4096).getComparisonValue().isBoolean()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "", "   ", "userName", "userName eq", "userName xx \"a\"", "(userName eq \"a\"", "userName eq \"a\")",
    "emails[type eq \"work\"", "and userName eq \"a\"", "userName eq \"a\" or", "not userName eq \"a\"",
    "userName eq \"unterminated", "emails[type eq \"w\"][value eq \"x\"]", "\"quoted\" eq userName"
  })
  void malformed_filters_are_invalidFilter(String filter) {
    assertThatThrownBy(() -> FilterTranslator.translate(ScimFilters.parse(filter, 4096), ScimSchemas.USERS, 2))
        .isInstanceOf(ScimProblem.class)
        .satisfies(e -> {
          assertThat(((ScimProblem) e).status()).isEqualTo(400);
          assertThat(((ScimProblem) e).scimType()).isEqualTo("invalidFilter");
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "active eq \"yes\"", "active gt true", "meta.lastModified gt \"yesterday\"", "name eq \"x\"",
    "emails[value eq \"a\"].type eq \"b\"", "x'); drop table scim_user; -- eq \"a\"", "meta.nope eq \"a\""
  })
  void type_errors_and_injection_attempts_are_invalidFilter(String filter) {
    assertThatThrownBy(() -> FilterTranslator.translate(ScimFilters.parse(filter, 4096), ScimSchemas.USERS, 2))
        .isInstanceOf(ScimProblem.class)
        .extracting(e -> ((ScimProblem) e).scimType())
        .isEqualTo("invalidFilter");
  }

  @Test
  void too_long_filters_are_refused() {
    assertThatThrownBy(() -> ScimFilters.parse("userName eq \"" + "a".repeat(5000) + "\"", 4096)).isInstanceOf(ScimProblem.class);
  }

  private static String sql(String filter) {
    return FilterTranslator.translate(ScimFilters.parse(filter, 4096), ScimSchemas.USERS, 2).sql();
  }
}
