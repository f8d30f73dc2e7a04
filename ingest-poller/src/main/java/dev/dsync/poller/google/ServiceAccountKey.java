package dev.dsync.poller.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsync.events.EventJson;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;

/**
 * A Google service account JSON key (client_email, client_id, private_key_id, private_key as PKCS#8
 * PEM, token_uri) and the OAuth 2.0 JWT bearer assertion it signs (Google Identity, "Using OAuth 2.0
 * for Server to Server Applications": header {alg RS256, typ JWT, kid}, claims iss, scope, aud =
 * token_uri, sub = the user to impersonate, iat, exp at most one hour later; RS256 = SHA256withRSA).
 */
record ServiceAccountKey(String clientEmail, String clientId, String keyId, PrivateKey privateKey, String tokenUri) {

  /** Google's token endpoint, used when the key file names none. */
  static final String GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";
  /** Google refuses assertions that live longer than an hour. */
  static final long LIFETIME_SECONDS = 3600;

  /** Why a key file cannot be used; the message never holds key material. */
  static final class BadKey extends Exception {
    BadKey(String message) {
      super(message);
    }
  }

  /** Reads the key file, given as its JSON text or as the JSON object itself. */
  static ServiceAccountKey parse(JsonNode credential) throws BadKey {
    if (credential == null || credential.isNull() || credential.isMissingNode()) {
      throw new BadKey("the service account's JSON key file is required");
    }
    JsonNode key = credential;
    if (credential.isTextual()) {
      try {
        key = EventJson.mapper().readTree(credential.asText());
      } catch (java.io.IOException e) {
        throw new BadKey("is not JSON: paste the whole JSON key file downloaded from Google Cloud (IAM > Service accounts > Keys)");
      }
    }
    if (!(key instanceof ObjectNode)) {
      throw new BadKey("must be the JSON key file of a service account (an object with client_email and private_key)");
    }
    if (key.hasNonNull("type") && !"service_account".equals(key.get("type").asText())) {
      throw new BadKey("is a '" + key.get("type").asText() + "' file, not a service account key (type service_account)");
    }
    String email = text(key, "client_email");
    if (email == null) {
      throw new BadKey("has no client_email: it is not a service account JSON key file");
    }
    String pem = text(key, "private_key");
    if (pem == null) {
      throw new BadKey("has no private_key: create a JSON key (not P12) for the service account");
    }
    String tokenUri = text(key, "token_uri");
    return new ServiceAccountKey(email, text(key, "client_id"), text(key, "private_key_id"), privateKey(pem),
        tokenUri == null ? GOOGLE_TOKEN_URI : tokenUri);
  }

  private static PrivateKey privateKey(String pem) throws BadKey {
    String body = pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "").replaceAll("\\s", "");
    if (pem.contains("BEGIN RSA PRIVATE KEY") || body.isEmpty()) {
      throw new BadKey("private_key is not a PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----) as Google issues them");
    }
    try {
      PrivateKey k = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
      if (((RSAPrivateKey) k).getModulus().bitLength() < 2048) {
        throw new BadKey("private_key is an RSA key shorter than 2048 bits; Google issues 2048-bit keys");
      }
      return k;
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new BadKey("private_key cannot be read as an RSA key (damaged or truncated when copied?)");
    }
  }

  /** The signed assertion for {@code scopes} (space-separated) on behalf of {@code subject}, sent to {@code audience}. */
  String assertion(String subject, String scopes, String audience, Instant now) {
    ObjectNode header = EventJson.mapper().createObjectNode().put("alg", "RS256").put("typ", "JWT");
    if (keyId != null) {
      header.put("kid", keyId);
    }
    long iat = now.getEpochSecond();
    ObjectNode claims = EventJson.mapper().createObjectNode()
        .put("iss", clientEmail).put("scope", scopes).put("aud", audience).put("iat", iat).put("exp", iat + LIFETIME_SECONDS);
    if (subject != null) {
      claims.put("sub", subject);
    }
    String signingInput = b64(EventJson.write(header)) + "." + b64(EventJson.write(claims));
    try {
      Signature rs256 = Signature.getInstance("SHA256withRSA");
      rs256.initSign(privateKey);
      rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(rs256.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA256withRSA is not available in this JDK", e);
    }
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
  }

  @Override
  public String toString() {
    // Records print every component; the private key must never reach a log line.
    return "ServiceAccountKey[clientEmail=" + clientEmail + ", keyId=" + keyId + "]";
  }
}
