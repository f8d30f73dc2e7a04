package dev.dsync.reconciler.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import dev.dsync.events.source.UserUpserted;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MapperTest {

  private final ObjectNode sample =
      sample();

  private static ObjectNode sample() {
    try (var in = MapperTest.class.getClassLoader().getResourceAsStream("dsync/events/samples/dsync.source.user.upserted.json")) {
      return EventJson.read(in.readAllBytes(), UserUpserted.class).resource();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void default_mapping_of_the_golden_sample() {
    Map<String, Object> m = Mapper.forUsers(List.of()).map(sample);
    assertThat(m).containsEntry("userName", "bjensen@example.com").containsEntry("givenName", "Barbara")
        .containsEntry("familyName", "Jensen").containsEntry("active", true)
        .containsEntry("attributes.department", "Finance").containsEntry("attributes.employeeNumber", "701984")
        .containsEntry("externalId", "00u1abcd");
    assertThat(m.get("emails")).isEqualTo(List.of(Map.of("value", "bjensen@example.com", "type", "work", "primary", true)));
  }

  @Test
  void transforms_trim_case_regex_template_default_and_date() {
    ObjectNode r = sample.deepCopy();
    r.put("userName", "  BJensen@Example.COM ");
    r.put("title", "Sr. Accountant (contract)");
    r.put("hireDate", "2021-03-04T10:00:00Z");
    r.put("nickName", "03/04/2021");
    Mapper mapper = Mapper.forUsers(List.of(
        AttributeMapping.of("userName", "userName", Transform.of(TransformType.TRIM), Transform.of(TransformType.LOWER)),
        AttributeMapping.of("attributes.title", "title", Transform.regexReplace("\\s*\\(.*\\)", ""), Transform.of(TransformType.UPPER)),
        AttributeMapping.of("displayName", null, Transform.template("{name.familyName}, {name.givenName}")),
        AttributeMapping.of("attributes.costCenter", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter", Transform.defaultValue("CC-0")),
        AttributeMapping.of("attributes.hired", "hireDate", Transform.dateFormat(null, "yyyy-MM-dd")),
        AttributeMapping.of("attributes.nick", "nickName", Transform.dateFormat("MM/dd/yyyy", "dd.MM.yyyy")),
        new AttributeMapping("attributes.mails", "emails.value", List.of(Transform.of(TransformType.UPPER)), MultiValued.JOIN, ";")));
    Map<String, Object> m = mapper.map(r);
    assertThat(m).containsEntry("userName", "bjensen@example.com").containsEntry("attributes.title", "SR. ACCOUNTANT")
        .containsEntry("displayName", "Jensen, Barbara").containsEntry("attributes.costCenter", "CC-0")
        .containsEntry("attributes.hired", "2021-03-04").containsEntry("attributes.nick", "04.03.2021")
        .containsEntry("attributes.mails", "BJENSEN@EXAMPLE.COM");
  }

  @Test
  void filtered_paths_and_multi_valued_all() {
    ObjectNode r = sample.deepCopy();
    r.withArray("emails").addObject().put("value", "home@example.com").put("type", "home");
    Mapper mapper = Mapper.forUsers(List.of(
        AttributeMapping.of("attributes.homeMail", "emails[type eq \"home\"].value"),
        new AttributeMapping("attributes.allMail", "emails.value", List.of(), MultiValued.ALL, null)));
    Map<String, Object> m = mapper.map(r);
    assertThat(m).containsEntry("attributes.homeMail", "home@example.com");
    assertThat(m.get("attributes.allMail")).isEqualTo(List.of("bjensen@example.com", "home@example.com"));
  }

  @Test
  void validation_names_each_bad_field() {
    var errors = Mapper.validate(List.of(
        AttributeMapping.of("bogus", "x"),
        AttributeMapping.of("attributes.a", "emails[type eq", Transform.regexReplace("(", "")),
        AttributeMapping.of("attributes.b", null),
        AttributeMapping.of("attributes.c", "title", Transform.dateFormat(null, null))), "mappings");
    assertThat(errors).extracting(e -> e.field()).containsExactlyInAnyOrder(
        "mappings[0].target", "mappings[1].source", "mappings[1].transforms[0].pattern", "mappings[2].source",
        "mappings[3].transforms[0].outputFormat");
  }
}
