package dev.dsync.devstack;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/**
 * Points a {@code @QuarkusTest} at a real Kafka broker and PostgreSQL: the ones named by
 * {@code DSYNC_KAFKA_BOOTSTRAP} and {@code DSYNC_DB_URL} when set, otherwise a devstack forked once
 * per test JVM. Also hands the app the dev JWT keys so tests can sign admin tokens.
 */
public class DevstackTestResource implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    Map<String, String> config = new HashMap<>();
    String externalKafka = System.getenv("DSYNC_KAFKA_BOOTSTRAP");
    String externalDb = System.getenv("DSYNC_DB_URL");
    DevstackState state = externalKafka != null && externalDb != null ? null : ForkedDevstack.shared();
    String kafka = state == null ? externalKafka : state.kafkaBootstrap();
    String db = state == null ? externalDb : state.dbUrl();
    String user = state == null ? env("DSYNC_DB_USER", "postgres") : state.dbUser();
    String password = state == null ? env("DSYNC_DB_PASSWORD", "postgres") : state.dbPassword();
    config.put("kafka.bootstrap.servers", kafka);
    config.put("quarkus.datasource.reactive.url", db);
    config.put("quarkus.datasource.jdbc.url", "jdbc:" + db);
    config.put("quarkus.datasource.username", user);
    config.put("quarkus.datasource.password", password);
    try {
      var keys = DevJwt.generate();
      config.put("mp.jwt.verify.publickey", DevJwt.pem("PUBLIC KEY", keys.getPublic().getEncoded()));
      config.put("mp.jwt.verify.issuer", DevJwt.ISSUER);
      var privatePem = Files.createTempFile("dsync-test-jwt-", ".pem");
      privatePem.toFile().deleteOnExit();
      Files.writeString(privatePem, DevJwt.pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
      config.put("smallrye.jwt.sign.key.location", privatePem.toUri().toString());
      config.put("smallrye.jwt.new-token.issuer", DevJwt.ISSUER);
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return config;
  }

  @Override
  public void stop() {
    // The forked devstack is shared by every test class of this JVM; it stops with the JVM.
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null ? fallback : v;
  }
}
