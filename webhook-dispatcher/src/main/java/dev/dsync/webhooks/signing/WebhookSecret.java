package dev.dsync.webhooks.signing;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/** An endpoint's signing secret in the Standard Webhooks form {@code whsec_<base64 of the key>}. */
public final class WebhookSecret {

  public static final String PREFIX = "whsec_";
  public static final int MIN_BYTES = 24;
  public static final int MAX_BYTES = 64;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;

  private WebhookSecret(byte[] key) {
    this.key = key;
  }

  /** A fresh random secret of {@code bytes} bytes. */
  public static WebhookSecret generate(int bytes) {
    if (bytes < MIN_BYTES || bytes > MAX_BYTES) {
      throw new IllegalArgumentException("secret size must be 24 to 64 bytes");
    }
    byte[] key = new byte[bytes];
    RANDOM.nextBytes(key);
    return new WebhookSecret(key);
  }

  /** Parses {@code whsec_<base64>}; fails with a message fit for an API client. */
  public static WebhookSecret parse(String secret) {
    if (secret == null || !secret.startsWith(PREFIX)) {
      throw new IllegalArgumentException("must start with " + PREFIX);
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("must be " + PREFIX + " followed by base64");
    }
    if (key.length < MIN_BYTES || key.length > MAX_BYTES) {
      throw new IllegalArgumentException("must encode 24 to 64 bytes");
    }
    return new WebhookSecret(key);
  }

  /** A secret around an existing key (e.g. one just unsealed). */
  public static WebhookSecret ofKey(byte[] key) {
    return new WebhookSecret(key.clone());
  }

  /** The HMAC key. */
  public byte[] key() {
    return key.clone();
  }

  /** The secret as a receiver configures it. */
  public String value() {
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WebhookSecret s && Arrays.equals(key, s.key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }

  @Override
  public String toString() {
    return "WebhookSecret[redacted]";
  }
}
