package dev.dsync.reconciler.conflicts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.events.EventJson;
import dev.dsync.reconciler.identities.IdentityEvents;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ProvenanceJsonTest {

  @Test
  void writes_what_the_event_mapper_writes_and_reads_back_the_same() {
    Provenance a = new Provenance("dir-1", 7, Instant.parse("2026-12-01T18:00:00.123456Z"), 0);
    Provenance b = new Provenance("dir \"2\" ü", 8, null, 3);
    Provenance c = new Provenance(null, 9, Instant.parse("2026-12-01T18:00:00Z"), 1);
    Map<String, Provenance> provenance = new TreeMap<>();
    provenance.put("userName", a);
    provenance.put("emails", a);
    provenance.put("name.\"given\"\n", b);
    provenance.put("title", c);
    provenance.put("zz", a);

    assertThat(ProvenanceJson.write(provenance)).isEqualTo(EventJson.write(provenance));
    assertThat(IdentityEvents.provenance(ProvenanceJson.write(provenance))).isEqualTo(provenance);
    assertThat(ProvenanceJson.write(new TreeMap<>())).isEqualTo("{}");
    Map<String, Provenance> withNull = new TreeMap<>(Map.of("b", a));
    withNull.put("a", null);
    assertThat(ProvenanceJson.write(withNull)).isEqualTo(EventJson.write(withNull));
  }
}
