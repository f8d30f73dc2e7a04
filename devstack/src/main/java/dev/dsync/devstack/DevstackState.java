package dev.dsync.devstack;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * What a running devstack tells its users: addresses of the broker and database and where the
 * dev JWT keys are. Written atomically once everything is up, so its presence means "ready".
 */
public record DevstackState(
    long pid,
    String kafkaBootstrap,
    String dbUrl,
    String dbUser,
    String dbPassword,
    Path jwtPrivateKey,
    Path jwtPublicKey) {

  public static final String FILE = "devstack.properties";

  /** JDBC form of {@link #dbUrl()}, for Flyway. */
  public String jdbcUrl() {
    return "jdbc:" + dbUrl;
  }

  void write(Path dir) throws IOException {
    Properties p = new Properties();
    p.setProperty("pid", String.valueOf(pid));
    p.setProperty("kafka.bootstrap", kafkaBootstrap);
    p.setProperty("db.url", dbUrl);
    p.setProperty("db.jdbc-url", jdbcUrl());
    p.setProperty("db.user", dbUser);
    p.setProperty("db.password", dbPassword);
    p.setProperty("jwt.private-key", jwtPrivateKey.toString());
    p.setProperty("jwt.public-key", jwtPublicKey.toString());
    p.setProperty("jwt.issuer", DevJwt.ISSUER);
    Path tmp = dir.resolve(FILE + ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp)) {
      p.store(w, "written by devstack; removed when it stops");
    }
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  public static DevstackState read(Path dir) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(dir.resolve(FILE))) {
      p.load(r);
    }
    return new DevstackState(
        Long.parseLong(p.getProperty("pid")),
        p.getProperty("kafka.bootstrap"),
        p.getProperty("db.url"),
        p.getProperty("db.user"),
        p.getProperty("db.password"),
        Path.of(p.getProperty("jwt.private-key")),
        Path.of(p.getProperty("jwt.public-key")));
  }
}
