package dev.dsync.devstack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * A real PostgreSQL server (zonky's embedded binaries: the same server as production, fetched by
 * Maven, so a fresh machine needs nothing installed) on loopback with one database, {@code dsync}.
 */
final class Postgres implements AutoCloseable {

  static final String DATABASE = "dsync";
  static final String USER = "postgres";
  static final String PASSWORD = "postgres";

  private final EmbeddedPostgres server;

  private Postgres(EmbeddedPostgres server) {
    this.server = server;
  }

  /**
   * Starts on {@code dataDir}, running initdb only when it holds no cluster yet, so a restart keeps
   * the data. The caller owns the directory's lifetime (devstack wipes it at start and at stop):
   * zonky's own cleaning would also delete it on every close, restarts included.
   */
  static Postgres start(Path dataDir, int port) throws IOException, SQLException {
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDir)
            .setCleanDataDirectory(false)
            .setPort(port)
            .setRegisterShutdownHook(false)
            .setPGStartupWait(Duration.ofSeconds(60))
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("max_connections", "300")
            .setServerConfig("fsync", "off")
            .setServerConfig("synchronous_commit", "off")
            .setServerConfig("full_page_writes", "off")
            // A fresh cluster creates its WAL segments as it goes, and by default fills each new
            // 16 MB file with zeros before using it: devstack starts empty, so a 100,000-user sync
            // wrote its WAL twice (a long-running server recycles old segments instead).
            // PostgreSQL's CPU per change of a warm bench sync fell from ~0.14 to ~0.12 ms.
            .setServerConfig("wal_init_zero", "off");
    // Extra server settings for investigations, e.g. DSYNC_PG_SETTINGS=shared_preload_libraries=pg_stat_statements
    for (String setting : System.getenv().getOrDefault("DSYNC_PG_SETTINGS", "").split(";")) {
      int eq = setting.indexOf('=');
      if (eq > 0) {
        builder.setServerConfig(setting.substring(0, eq).trim(), setting.substring(eq + 1).trim());
      }
    }
    EmbeddedPostgres pg = builder.start();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("select 1 from pg_database where datname = '" + DATABASE + "'")) {
        if (!rs.next()) {
          s.execute("create database " + DATABASE);
        }
      }
      s.execute("alter user " + USER + " with password '" + PASSWORD + "'");
    }
    return new Postgres(pg);
  }

  int port() {
    return server.getPort();
  }

  /** Vert.x reactive client form, also what DSYNC_DB_URL holds. */
  String url() {
    return "postgresql://127.0.0.1:" + port() + "/" + DATABASE;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
