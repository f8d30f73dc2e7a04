package dev.dsync.webhooks.security;

import dev.dsync.webhooks.config.WebhooksConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts endpoint secrets at rest with AES-GCM under the configured key. The ciphertext is bound
 * to its endpoint (associated data), so a value copied to another row does not decrypt.
 * Layout: version byte (1), 12-byte nonce, ciphertext with 16-byte tag.
 */
@ApplicationScoped
public class SecretBox {

  private static final byte VERSION = 1;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKey key;

  @Inject
  public SecretBox(WebhooksConfig config) {
    this(config.encryptionKey());
  }

  /** For tests and tools: a box over a base64 AES key. */
  public SecretBox(String base64Key) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64Key.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("dsync.webhooks.encryption-key is not base64");
    }
    if (raw.length != 16 && raw.length != 24 && raw.length != 32) {
      throw new IllegalStateException("dsync.webhooks.encryption-key must be 16, 24 or 32 bytes");
    }
    this.key = new SecretKeySpec(raw, "AES");
  }

  public byte[] encrypt(byte[] plain, String boundTo) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plain);
      return ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length).put(VERSION).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  public byte[] decrypt(byte[] box, String boundTo) {
    if (box == null || box.length < 1 + NONCE_BYTES + TAG_BITS / 8 || box[0] != VERSION) {
      throw new IllegalStateException("not a sealed secret");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, box, 1, NONCE_BYTES));
      cipher.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
      return cipher.doFinal(box, 1 + NONCE_BYTES, box.length - 1 - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      // Wrong key, tampered bytes or a value moved to another endpoint: never fall back to plaintext.
      throw new IllegalStateException("sealed secret does not open with the configured key");
    }
  }
}
