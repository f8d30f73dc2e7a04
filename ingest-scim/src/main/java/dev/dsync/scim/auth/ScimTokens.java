package dev.dsync.scim.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * SCIM bearer tokens: 256 random bits, prefixed so secret scanners recognise them, stored only as
 * their SHA-256 (a token has full entropy, so a fast hash is enough; no salt or KDF needed).
 */
public final class ScimTokens {

  public static final String PREFIX = "dsync_scim_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private ScimTokens() {}

  public static String generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The last characters of a token, enough for an admin to tell tokens apart. */
  public static String hint(String token) {
    return "…" + token.substring(token.length() - 4);
  }
}
