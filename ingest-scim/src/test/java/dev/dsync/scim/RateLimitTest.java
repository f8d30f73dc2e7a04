package dev.dsync.scim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(RateLimitTest.FivePerSecond.class)
@QuarkusTestResource(DevstackTestResource.class)
class RateLimitTest {

  /** A low per-directory limit so a short burst crosses it. */
  public static class FivePerSecond implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("dsync.scim.rate-limit-per-second", "5");
    }
  }

  @Test
  void a_directory_over_its_rate_gets_429_with_retry_after_and_others_are_unaffected() {
    ScimTestSupport.Dir noisy = ScimTestSupport.newDirectory();
    ScimTestSupport.Dir quiet = ScimTestSupport.newDirectory();
    List<Response> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(noisy.scim().get("/Users"));
    }
    List<Response> limited = burst.stream().filter(r -> r.statusCode() == 429).toList();
    assertThat(limited).isNotEmpty();
    assertThat(burst.stream().filter(r -> r.statusCode() == 200).count()).isBetween(5L, 15L);
    Response first = limited.get(0);
    assertThat(Integer.parseInt(first.header("Retry-After"))).isPositive();
    assertThat(first.jsonPath().getString("status")).isEqualTo("429");
    assertThat(first.jsonPath().getList("schemas")).contains("urn:ietf:params:scim:api:messages:2.0:Error");
    // The limit is per directory: another directory still gets through.
    assertThat(quiet.scim().get("/Users").statusCode()).isEqualTo(200);
  }
}
