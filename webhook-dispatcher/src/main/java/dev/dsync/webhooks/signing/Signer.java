package dev.dsync.webhooks.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import java.util.StringJoiner;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks symmetric signatures: {@code v1,<base64(HMAC-SHA256(key, id.timestamp.body))>},
 * several separated by spaces while an old secret is still valid after a rotation.
 */
public final class Signer {

  private static final String HMAC = "HmacSHA256";

  private Signer() {}

  /** One {@code v1,...} signature of {@code body} as sent with {@code msgId} at {@code timestamp}. */
  public static String sign(byte[] key, String msgId, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      mac.update((msgId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** The {@code webhook-signature} header value: one signature per key, newest first. */
  public static String header(List<byte[]> keys, String msgId, long timestamp, byte[] body) {
    StringJoiner joined = new StringJoiner(" ");
    for (byte[] key : keys) {
      joined.add(sign(key, msgId, timestamp, body));
    }
    return joined.toString();
  }
}
