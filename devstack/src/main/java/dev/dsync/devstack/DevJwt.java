package dev.dsync.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The local platform's token signer: an RSA key pair made at {@code bin/dsync up} (never
 * committed) and RS256 tokens with the {@code tenant} claim and roles in {@code groups}, the form
 * SmallRye JWT verifies. Production verifies against a JWKS URL instead.
 */
public final class DevJwt {

  /** Issuer the dev signer puts in every token; services expect it outside production. */
  public static final String ISSUER = "https://dsync.dev/devstack";

  private DevJwt() {}

  static KeyPair generate() throws GeneralSecurityException {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    return gen.generateKeyPair();
  }

  static String pem(String type, byte[] der) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
  }

  static void write(KeyPair keys, Path privatePem, Path publicPem) throws IOException {
    Files.writeString(privatePem, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    Files.writeString(publicPem, pem("PUBLIC KEY", keys.getPublic().getEncoded()));
  }

  static PrivateKey readPrivate(Path privatePem) throws IOException, GeneralSecurityException {
    String body =
        Files.readAllLines(privatePem).stream()
            .filter(l -> !l.startsWith("-----"))
            .collect(Collectors.joining());
    return KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
  }

  /** Signs a token for {@code tenant} with {@code roles}, valid for {@code ttlSeconds}. */
  public static String sign(
      PrivateKey key, String subject, String tenant, List<String> roles, long ttlSeconds)
      throws GeneralSecurityException {
    long now = Instant.now().getEpochSecond();
    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    String groups =
        roles.stream().map(r -> "\"" + json(r) + "\"").collect(Collectors.joining(",", "[", "]"));
    String payload =
        "{\"iss\":\""
            + ISSUER
            + "\",\"sub\":\""
            + json(subject)
            + "\",\"upn\":\""
            + json(subject)
            + "\",\"tenant\":\""
            + json(tenant)
            + "\",\"groups\":"
            + groups
            + ",\"iat\":"
            + now
            + ",\"exp\":"
            + (now + ttlSeconds)
            + ",\"jti\":\""
            + UUID.randomUUID()
            + "\"}";
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput =
        b64.encodeToString(header.getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
    Signature rsa = Signature.getInstance("SHA256withRSA");
    rsa.initSign(key);
    rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(rsa.sign());
  }

  private static String json(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
