package dev.dsync.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;
import dev.dsync.webhooks.security.SecretBox;
import dev.dsync.webhooks.signing.Signer;
import dev.dsync.webhooks.signing.WebhookSecret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SigningTest {

  // Published test vector of the Standard Webhooks specification (its reference libraries' tests).
  private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String SPEC_MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final long SPEC_TIMESTAMP = 1614265330;
  private static final String SPEC_PAYLOAD = "{\"test\": 2432232314}";
  private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  @Test
  void signs_the_specs_test_vector_exactly() {
    byte[] key = WebhookSecret.parse(SPEC_SECRET).key();
    assertThat(Signer.sign(key, SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(SPEC_SIGNATURE);
  }

  @Test
  void one_thread_signs_with_one_key_after_another_without_mixing_them() {
    byte[] spec = WebhookSecret.parse(SPEC_SECRET).key();
    byte[] payload = SPEC_PAYLOAD.getBytes(StandardCharsets.UTF_8);
    String other = Signer.sign(WebhookSecret.generate(32).key(), SPEC_MSG_ID, SPEC_TIMESTAMP, payload);
    assertThat(other).isNotEqualTo(SPEC_SIGNATURE);
    assertThat(Signer.sign(Signer.key(spec), SPEC_MSG_ID, SPEC_TIMESTAMP, payload)).isEqualTo(SPEC_SIGNATURE);
    assertThat(Signer.sign(Signer.key(spec), SPEC_MSG_ID, SPEC_TIMESTAMP, payload)).as("again, same thread").isEqualTo(SPEC_SIGNATURE);
  }

  @Test
  void the_reference_library_verifies_our_signatures_and_both_during_rotation() throws Exception {
    WebhookSecret oldSecret = WebhookSecret.generate(32);
    WebhookSecret newSecret = WebhookSecret.generate(64);
    String body = "{\"type\":\"dsync.user.created\",\"data\":{\"sequence\":1}}";
    long now = Instant.now().getEpochSecond();
    String header =
        Signer.header(List.of(Signer.key(newSecret.key()), Signer.key(oldSecret.key())), "m-1", now, body.getBytes(StandardCharsets.UTF_8));
    assertThat(header.split(" ")).hasSize(2).allSatisfy(s -> assertThat(s).startsWith("v1,"));
    Map<String, List<String>> headers =
        Map.of("webhook-id", List.of("m-1"), "webhook-timestamp", List.of(Long.toString(now)), "webhook-signature", List.of(header));

    new Webhook(newSecret.value()).verify(body, headers);
    new Webhook(oldSecret.value()).verify(body, headers);
    assertThatThrownBy(() -> new Webhook(WebhookSecret.generate(32).value()).verify(body, headers))
        .isInstanceOf(WebhookVerificationException.class);
    assertThatThrownBy(() -> new Webhook(newSecret.value()).verify(body + " ", headers))
        .as("the exact bytes are signed").isInstanceOf(WebhookVerificationException.class);
  }

  @Test
  void secrets_are_whsec_base64_of_24_to_64_bytes() {
    WebhookSecret s = WebhookSecret.generate(32);
    assertThat(s.value()).startsWith("whsec_");
    assertThat(Base64.getDecoder().decode(s.value().substring(6))).hasSize(32);
    assertThat(WebhookSecret.parse(s.value())).isEqualTo(s);
    assertThatThrownBy(() -> WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(new byte[23])))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(new byte[65])))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WebhookSecret.parse("sk_abc")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WebhookSecret.parse("whsec_!!!")).isInstanceOf(IllegalArgumentException.class);
    assertThat(s.toString()).doesNotContain(s.value().substring(6));
  }

  @Test
  void sealed_secrets_open_only_with_the_key_and_for_their_own_endpoint() {
    SecretBox box = new SecretBox(Base64.getEncoder().encodeToString(new byte[32]));
    byte[] secret = WebhookSecret.generate(32).key();
    byte[] sealed = box.encrypt(secret, "endpoint:a");
    assertThat(box.decrypt(sealed, "endpoint:a")).isEqualTo(secret);
    assertThat(box.encrypt(secret, "endpoint:a")).as("a fresh nonce each time").isNotEqualTo(sealed);
    assertThatThrownBy(() -> box.decrypt(sealed, "endpoint:b")).isInstanceOf(IllegalStateException.class);
    byte[] tampered = sealed.clone();
    tampered[tampered.length - 1] ^= 1;
    assertThatThrownBy(() -> box.decrypt(tampered, "endpoint:a")).isInstanceOf(IllegalStateException.class);
    SecretBox otherKey = new SecretBox(Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}));
    assertThatThrownBy(() -> otherKey.decrypt(sealed, "endpoint:a")).isInstanceOf(IllegalStateException.class);
  }
}
