package dev.dsync.poller.connections;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import dev.dsync.poller.PollerConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts connection credentials with AES-256-GCM under the configured key. The connection id is
 * the associated data, so a ciphertext copied onto another connection does not decrypt. Fails at
 * startup when no valid key is configured: credentials are never stored in the clear.
 */
@Startup
@ApplicationScoped
public class CredentialCipher {

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec key;
  private final String keyId;
  private final SecureRandom random = new SecureRandom();

  public CredentialCipher(PollerConfig config) {
    String encoded = config.credentialsKey().filter(s -> !s.isBlank()).orElseThrow(() -> new IllegalStateException(
        "dsync.poller.credentials-key (DSYNC_POLLER_CREDENTIALS_KEY) is required: base64 of 32 random bytes"));
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(encoded.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("dsync.poller.credentials-key is not base64");
    }
    if (raw.length != 32) {
      throw new IllegalStateException("dsync.poller.credentials-key must decode to 32 bytes, not " + raw.length);
    }
    this.key = new SecretKeySpec(raw, "AES");
    try {
      this.keyId = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw), 0, 4);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Short fingerprint of the key, stored beside each ciphertext so a key rotation can find old rows. */
  public String keyId() {
    return keyId;
  }

  public byte[] encrypt(UUID connectionId, ObjectNode credentials) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      random.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad(connectionId));
      byte[] sealed = c.doFinal(EventJson.mapper().writeValueAsBytes(credentials));
      return ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("credential encryption failed");
    }
  }

  public ObjectNode decrypt(UUID connectionId, byte[] stored) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, stored, 0, NONCE_BYTES));
      c.updateAAD(aad(connectionId));
      byte[] plain = c.doFinal(stored, NONCE_BYTES, stored.length - NONCE_BYTES);
      return (ObjectNode) EventJson.mapper().readTree(plain);
    } catch (GeneralSecurityException | java.io.IOException e) {
      // Never the exception's message: it would not hold secrets, but say only what an operator can act on.
      throw new IllegalStateException("credentials of connection " + connectionId + " do not decrypt with key " + keyId);
    }
  }

  private static byte[] aad(UUID connectionId) {
    return ("dsync-poller:" + connectionId).getBytes(StandardCharsets.UTF_8);
  }
}
