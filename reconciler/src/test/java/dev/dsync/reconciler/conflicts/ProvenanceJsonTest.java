package dev.dsync.reconciler.conflicts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.events.EventJson;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ProvenanceJsonTest {

  private final Provenance a = new Provenance("dir-1", 7, Instant.parse("2026-12-01T18:00:00.123456Z"), 0);
  private final Provenance b = new Provenance("dir \"2\" ü", 8, null, 3);
  private final Provenance c = new Provenance(null, 9, Instant.parse("2026-12-01T18:00:00Z"), 1);

  private Map<String, Provenance> sample() {
    Map<String, Provenance> provenance = new TreeMap<>();
    provenance.put("userName", a);
    provenance.put("emails", a);
    provenance.put("name.\"given\"\n", b);
    provenance.put("title", c);
    provenance.put("zz", a);
    return provenance;
  }

  @Test
  void reads_back_what_it_writes() {
    assertThat(ProvenanceJson.read(ProvenanceJson.write(sample()))).isEqualTo(sample());
    assertThat(ProvenanceJson.read(ProvenanceJson.write(new TreeMap<>()))).isEmpty();
    assertThat(ProvenanceJson.read(null)).isEmpty();
  }

  @Test
  void writes_each_distinct_provenance_once() {
    String json = ProvenanceJson.write(sample());

    assertThat(json.split("\"directoryId\":\"dir-1\"", -1)).hasSize(2);
    assertThat(json).startsWith("[{\"directoryId\":\"dir-1\",\"sourceVersion\":7,\"sourceTime\":\"2026-12-01T18:00:00.123456Z\","
        + "\"priority\":0,\"attributes\":[\"emails\",\"userName\",\"zz\"]}");
    // A bench user's nine attributes from one change: one provenance, well under the 1,170
    // characters the per-attribute form took.
    Map<String, Provenance> nine = new TreeMap<>();
    for (String attribute : new String[] {"active", "attributes.department", "attributes.employeeNumber", "displayName", "emails",
        "externalId", "familyName", "givenName", "userName"}) {
      nine.put(attribute, new Provenance("bench-full-a8ad6910", 1, Instant.parse("2026-12-02T08:12:29.406750586Z"), 0));
    }
    assertThat(ProvenanceJson.write(nine).length()).isLessThan(300);
  }

  @Test
  void leaves_out_attributes_without_provenance() {
    Map<String, Provenance> withNull = new TreeMap<>(Map.of("b", a));
    withNull.put("a", null);

    assertThat(ProvenanceJson.read(ProvenanceJson.write(withNull))).containsOnlyKeys("b");
  }

  @Test
  void reads_the_per_attribute_form_rows_were_written_in_before() {
    String stored = EventJson.write(sample()); // {"attr":{"directoryId":..}} as the mapper wrote it

    assertThat(stored).startsWith("{");
    assertThat(ProvenanceJson.read(stored)).isEqualTo(sample());
  }
}
