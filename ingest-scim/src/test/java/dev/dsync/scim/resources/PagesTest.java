package dev.dsync.scim.resources;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PagesTest {

  @Test
  void a_short_page_tells_the_total_a_full_or_empty_later_one_does_not() {
    assertThat(Pages.totalFromPage(1, 200, 0)).isEqualTo(0L);
    assertThat(Pages.totalFromPage(1, 200, 1)).isEqualTo(1L);
    assertThat(Pages.totalFromPage(11, 10, 3)).isEqualTo(13L);
    assertThat(Pages.totalFromPage(1, 10, 10)).as("full page: more may follow").isNull();
    assertThat(Pages.totalFromPage(21, 10, 0)).as("empty page past the first: the results may end anywhere before").isNull();
  }
}
