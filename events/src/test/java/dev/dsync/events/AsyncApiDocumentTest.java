package dev.dsync.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AsyncApiDocumentTest {

  static JsonNode doc;

  @BeforeAll
  static void parse() throws Exception {
    try (InputStream in =
        AsyncApiDocumentTest.class.getClassLoader().getResourceAsStream("dsync/events/asyncapi.yaml")) {
      assertThat(in).isNotNull();
      doc = new ObjectMapper(new YAMLFactory()).readTree(in);
    }
  }

  @Test
  void is_an_asyncapi_3_document_with_info() {
    assertThat(doc.path("asyncapi").asText()).isEqualTo("3.0.0");
    assertThat(doc.path("info").path("title").asText()).isNotBlank();
  }

  @Test
  void names_every_topic_as_a_channel() {
    Set<String> addresses = new HashSet<>();
    doc.path("channels").forEach(c -> addresses.add(c.path("address").asText()));
    for (Topic topic : Topic.values()) {
      assertThat(addresses).contains(topic.topicName());
    }
  }

  @Test
  void names_every_event_type_on_the_channel_of_its_topic() {
    for (EventType type : EventType.values()) {
      JsonNode channel = channelOf(type.topic());
      List<String> names = new ArrayList<>();
      channel.path("messages").forEach(ref -> names.add(resolve(ref).path("name").asText()));
      assertThat(names).as("messages of %s", type.topic().topicName()).contains(type.type());
    }
  }

  @Test
  void every_reference_resolves() {
    List<String> refs = new ArrayList<>();
    collectRefs(doc, refs);
    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      if (ref.startsWith("#/")) {
        assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
      } else {
        assertThat(getClass().getClassLoader().getResource("dsync/events/" + ref)).as(ref).isNotNull();
      }
    }
  }

  private JsonNode channelOf(Topic topic) {
    for (JsonNode c : doc.path("channels")) {
      if (c.path("address").asText().equals(topic.topicName())) {
        return c;
      }
    }
    throw new AssertionError("no channel for " + topic.topicName());
  }

  private JsonNode resolve(JsonNode refNode) {
    return doc.at(refNode.path("$ref").asText().substring(1));
  }

  private static void collectRefs(JsonNode node, List<String> refs) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              e -> {
                if (e.getKey().equals("$ref")) {
                  refs.add(e.getValue().asText());
                } else {
                  collectRefs(e.getValue(), refs);
                }
              });
    } else if (node.isArray()) {
      node.forEach(n -> collectRefs(n, refs));
    }
  }
}
