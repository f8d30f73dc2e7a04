package dev.dsync.reconciler;

import io.smallrye.jwt.build.Jwt;
import java.util.Set;
import java.util.UUID;

/** Signs admin tokens with the test key that DevstackTestResource handed the app. */
public final class Tokens {

  private Tokens() {}

  public static String admin(String tenant) {
    return Jwt.subject("admin@" + tenant).claim("tenant", tenant).groups(Set.of("tenant-admin")).sign();
  }

  public static String newTenant() {
    return "t-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
