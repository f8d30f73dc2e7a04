package dev.dsync.webhooks.signing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Base64;
import java.util.List;
import java.util.StringJoiner;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks symmetric signatures: {@code v1,<base64(HMAC-SHA256(key, id.timestamp.body))>},
 * several separated by spaces while an old secret is still valid after a rotation. The JDK's
 * HmacSHA256; one {@link Mac} per thread (looking the algorithm up costs more than signing a
 * webhook), keyed for each signature with a {@link SecretKeySpec} the caller keeps per secret.
 */
public final class Signer {

  private static final String HMAC = "HmacSHA256";

  private static final ThreadLocal<Mac> MACS =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Mac.getInstance(HMAC);
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("HmacSHA256 unavailable", e);
            }
          });

  private Signer() {}

  /** The signing key of a secret's bytes, to keep beside the secret and use for every signature. */
  public static SecretKeySpec key(byte[] secret) {
    return new SecretKeySpec(secret, HMAC);
  }

  /** One {@code v1,...} signature of {@code body} as sent with {@code msgId} at {@code timestamp}. */
  public static String sign(byte[] key, String msgId, long timestamp, byte[] body) {
    return sign(key(key), msgId, timestamp, body);
  }

  /** As {@link #sign(byte[], String, long, byte[])} with a key from {@link #key(byte[])}. */
  public static String sign(SecretKeySpec key, String msgId, long timestamp, byte[] body) {
    Mac mac = MACS.get();
    try {
      mac.init(key);
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("not an HmacSHA256 key", e);
    }
    mac.update((msgId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
  }

  /** The {@code webhook-signature} header value: one signature per key, newest first. */
  public static String header(List<SecretKeySpec> keys, String msgId, long timestamp, byte[] body) {
    StringJoiner joined = new StringJoiner(" ");
    for (SecretKeySpec key : keys) {
      joined.add(sign(key, msgId, timestamp, body));
    }
    return joined.toString();
  }
}
