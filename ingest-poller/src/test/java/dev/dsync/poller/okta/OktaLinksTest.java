package dev.dsync.poller.okta;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Okta's Link headers (RFC 8288) and the origin check that keeps the API token on the org. */
class OktaLinksTest {

  @Test
  void the_next_link_is_found_in_separate_or_combined_headers() {
    assertThat(OktaConnector.nextLink(List.of(
        "<https://acme.okta.com/api/v1/users?limit=200>; rel=\"self\"",
        "<https://acme.okta.com/api/v1/users?after=00ub&limit=200>; rel=\"next\""))).isEqualTo("https://acme.okta.com/api/v1/users?after=00ub&limit=200");
    assertThat(OktaConnector.nextLink(List.of(
        "<https://acme.okta.com/api/v1/groups?limit=2>; rel=\"self\", <https://acme.okta.com/api/v1/groups?after=00g1&limit=2>; rel=next")))
        .isEqualTo("https://acme.okta.com/api/v1/groups?after=00g1&limit=2");
    assertThat(OktaConnector.nextLink(List.of("<https://acme.okta.com/x?after=1>; rel=\"prev next\""))).isEqualTo("https://acme.okta.com/x?after=1");
  }

  @Test
  void no_next_link_on_the_last_page() {
    assertThat(OktaConnector.nextLink(List.of("<https://acme.okta.com/api/v1/users?limit=200>; rel=\"self\""))).isNull();
    assertThat(OktaConnector.nextLink(List.of())).isNull();
    assertThat(OktaConnector.nextLink(List.of("<https://acme.okta.com/api/v1/users?after=x>; rel=\"nextish\""))).isNull();
  }

  @Test
  void only_links_on_the_org_origin_are_followed() {
    URI org = URI.create("https://acme.okta.com");
    assertThat(OktaConnector.sameOrigin(org, "https://acme.okta.com/api/v1/users?after=1")).isTrue();
    assertThat(OktaConnector.sameOrigin(org, "https://ACME.okta.com:443/api/v1/users?after=1")).isTrue();
    assertThat(OktaConnector.sameOrigin(org, "http://acme.okta.com/api/v1/users")).isFalse();
    assertThat(OktaConnector.sameOrigin(org, "https://acme.okta.com:8443/api/v1/users")).isFalse();
    assertThat(OktaConnector.sameOrigin(org, "https://acme.okta.com.evil.example/api/v1/users")).isFalse();
    assertThat(OktaConnector.sameOrigin(org, "https://acme.okta.com@evil.example/api/v1/users")).isFalse();
    assertThat(OktaConnector.sameOrigin(org, "https://user@acme.okta.com/api/v1/users")).isFalse();
    assertThat(OktaConnector.sameOrigin(org, "/api/v1/users?after=1")).isFalse();
    assertThat(OktaConnector.sameOrigin(org, "not a url")).isFalse();
  }
}
