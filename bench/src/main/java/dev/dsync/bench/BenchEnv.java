package dev.dsync.bench;

import java.nio.file.Path;

/**
 * Where the platform started by {@code bin/dsync up} is: service URLs, Kafka, PostgreSQL and a
 * dev admin JWT, as {@code bin/dsync bench} exports them.
 */
public record BenchEnv(
    String scimUrl,
    String reconcilerUrl,
    String webhooksUrl,
    String auditUrl,
    String pollerUrl,
    String kafkaBootstrap,
    String jdbcUrl,
    String dbUser,
    String dbPassword,
    String adminToken,
    Path home,
    Path out) {

  static BenchEnv fromEnvironment() {
    return new BenchEnv(
        env("DSYNC_BENCH_SCIM_URL", "http://127.0.0.1:8081"),
        env("DSYNC_BENCH_RECONCILER_URL", "http://127.0.0.1:8082"),
        env("DSYNC_BENCH_WEBHOOKS_URL", "http://127.0.0.1:8083"),
        env("DSYNC_BENCH_AUDIT_URL", "http://127.0.0.1:8084"),
        env("DSYNC_BENCH_POLLER_URL", "http://127.0.0.1:8085"),
        env("DSYNC_KAFKA_BOOTSTRAP", null),
        env("DSYNC_BENCH_JDBC_URL", null),
        env("DSYNC_DB_USER", "postgres"),
        env("DSYNC_DB_PASSWORD", "postgres"),
        env("DSYNC_BENCH_TOKEN", null),
        Path.of(env("DSYNC_HOME", ".dsync")),
        Path.of(env("DSYNC_BENCH_OUT", "bench/target")));
  }

  /** The pid of a service started by bin/dsync, for RSS and kill -9. */
  public long pid(String service) throws java.io.IOException {
    return Long.parseLong(java.nio.file.Files.readString(home.resolve("pids/" + service + ".pid")).trim());
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
