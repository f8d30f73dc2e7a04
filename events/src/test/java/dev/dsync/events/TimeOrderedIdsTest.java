package dev.dsync.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TimeOrderedIdsTest {

  @Test
  void idsAreVersion7WithTheCurrentTimeInFront() {
    long before = System.currentTimeMillis();
    UUID id = TimeOrderedIds.next();
    long after = System.currentTimeMillis();

    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2); // RFC 9562's variant
    long millis = id.getMostSignificantBits() >>> 16;
    assertThat(millis).isBetween(before, after);
  }

  @Test
  void aBurstOfIdsIsDistinctAndIncreasingInTheOrderPostgresqlSortsThem() {
    // PostgreSQL orders uuid by unsigned bytes, which is the order of their canonical text.
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(TimeOrderedIds.next().toString());
    }
    assertThat(new HashSet<>(ids)).hasSize(ids.size());
    for (int i = 1; i < ids.size(); i++) {
      assertThat(ids.get(i)).as("id %d after id %d", i, i - 1).isGreaterThan(ids.get(i - 1));
    }
  }
}
