package dev.dsync.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EventContractsTest {

  private static final SchemaRegistry SCHEMAS =
      SchemaRegistry.withDefaultDialect(
          SpecificationVersion.DRAFT_2020_12,
          builder ->
              builder.schemaIdResolvers(
                  ids ->
                      ids.mapPrefix(
                          "https://dsync.dev/schemas/", "classpath:dsync/events/schemas/")));

  static Schema schemaOf(EventType type) {
    return SCHEMAS.getSchema(SchemaLocation.of("https://dsync.dev/schemas/" + type.type() + ".schema.json"));
  }

  static JsonNode sampleOf(EventType type) throws IOException {
    try (InputStream in = EventType.class.getClassLoader().getResourceAsStream(type.sampleResource())) {
      assertThat(in).as("sample %s", type.sampleResource()).isNotNull();
      return EventJson.mapper().readTree(in);
    }
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void golden_sample_validates_against_its_schema(EventType type) throws IOException {
    List<Error> errors = schemaOf(type).validate(sampleOf(type));
    assertThat(errors).as("%s sample against schema", type.type()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void record_round_trips_the_sample_without_losing_a_field(EventType type) throws IOException {
    JsonNode sample = sampleOf(type);
    Object data = EventJson.mapper().treeToValue(sample, type.dataClass());
    // Through text, so numbers compare by value rather than by Java type.
    JsonNode written = EventJson.mapper().readTree(EventJson.write(data));
    assertThat(written).as("%s record vs sample", type.type()).isEqualTo(sample);
    assertThat(schemaOf(type).validate(written)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(EventType.class)
  void schema_rejects_unknown_top_level_field_and_missing_required_field(EventType type)
      throws IOException {
    ObjectNode extra = (ObjectNode) sampleOf(type).deepCopy();
    extra.put("notInTheContract", 1);
    assertThat(schemaOf(type).validate(extra)).isNotEmpty();

    ObjectNode missing = (ObjectNode) sampleOf(type).deepCopy();
    String firstRequired = schemaOf(type).getSchemaNode().get("required").get(0).asText();
    missing.remove(firstRequired);
    assertThat(schemaOf(type).validate(missing)).as("without %s", firstRequired).isNotEmpty();
  }
}
