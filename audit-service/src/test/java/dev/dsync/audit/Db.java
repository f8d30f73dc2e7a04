package dev.dsync.audit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Direct SQL as the database owner (postgres), the way an intruder or a careless operator would
 * reach the table: used to tamper with rows and to seed large data sets.
 */
public final class Db {

  private Db() {}

  public static Connection owner() throws SQLException {
    var config = ConfigProvider.getConfig();
    String url = config.getValue("quarkus.datasource.jdbc.url", String.class);
    return DriverManager.getConnection(
        url,
        config.getValue("quarkus.flyway.username", String.class),
        config.getValue("quarkus.flyway.password", String.class));
  }

  public static int update(String sql, Object... params) {
    try (Connection c = owner(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public static long count(String sql, Object... params) {
    try (Connection c = owner(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
