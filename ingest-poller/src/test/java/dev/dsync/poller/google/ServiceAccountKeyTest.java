package dev.dsync.poller.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.dsync.events.EventJson;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The service account key file and the RS256 assertion, without a server. */
class ServiceAccountKeyTest {

  static final KeyPair KEYS = FakeGoogle.keyPair();

  @Test
  void the_assertion_is_an_rs256_jwt_that_verifies_with_the_public_key() throws Exception {
    try (FakeGoogle google = new FakeGoogle()) {
      FakeGoogle.Account a = google.account("unit", KEYS, java.util.Set.of());
      String file = google.keyFile(a, KEYS);
      ServiceAccountKey key = ServiceAccountKey.parse(TextNode.valueOf(file));
      assertThat(key.tokenUri()).isEqualTo(google.tokenUri());
      assertThat(key.toString()).doesNotContain("PRIVATE").doesNotContain(Base64.getEncoder().encodeToString(KEYS.getPrivate().getEncoded()).substring(0, 40));
      // The key file may also be given as the JSON object itself.
      assertThat(ServiceAccountKey.parse(EventJson.mapper().readTree(file)).clientEmail()).isEqualTo(a.clientEmail());

      String jwt = key.assertion("admin@acme.com", GoogleTokens.SCOPES, key.tokenUri(), Instant.ofEpochSecond(1_780_000_000L));
      String[] parts = jwt.split("\\.");
      assertThat(parts).hasSize(3);
      JsonNode header = EventJson.mapper().readTree(Base64.getUrlDecoder().decode(parts[0]));
      JsonNode claims = EventJson.mapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
      assertThat(header.path("alg").asText()).isEqualTo("RS256");
      assertThat(header.path("kid").asText()).isEqualTo(EventJson.mapper().readTree(file).path("private_key_id").asText());
      assertThat(claims.path("iss").asText()).isEqualTo(a.clientEmail());
      assertThat(claims.path("sub").asText()).isEqualTo("admin@acme.com");
      assertThat(claims.path("aud").asText()).isEqualTo(google.tokenUri());
      assertThat(claims.path("iat").asLong()).isEqualTo(1_780_000_000L);
      assertThat(claims.path("exp").asLong()).isEqualTo(1_780_003_600L);
      Signature rs256 = Signature.getInstance("SHA256withRSA");
      rs256.initVerify(KEYS.getPublic());
      rs256.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      assertThat(rs256.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();
      rs256.initVerify(FakeGoogle.keyPair().getPublic());
      rs256.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      assertThat(rs256.verify(Base64.getUrlDecoder().decode(parts[2]))).isFalse();
    }
  }

  @Test
  void unusable_key_files_say_why() {
    assertThatThrownBy(() -> ServiceAccountKey.parse(TextNode.valueOf("not json"))).hasMessageStartingWith("is not JSON");
    assertThatThrownBy(() -> ServiceAccountKey.parse(TextNode.valueOf("{\"type\":\"service_account\",\"private_key\":\"x\"}")))
        .hasMessageContaining("no client_email");
    assertThatThrownBy(() -> ServiceAccountKey.parse(TextNode.valueOf("{\"client_email\":\"a@b\",\"private_key\":\"-----BEGIN RSA PRIVATE KEY-----\\nAAAA\"}")))
        .hasMessageContaining("PKCS#8");
    assertThatThrownBy(() -> ServiceAccountKey.parse(null)).hasMessageContaining("required");
  }
}
