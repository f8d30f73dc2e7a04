package dev.dsync.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole platform as separate processes, started the way a newcomer starts it (bin/dsync up,
 * from the jars this build made, on ports shifted by 1000 and in its own state directory), then
 * driven through SCIM: events must come out as webhooks whose signatures an independent receiver
 * verifies, canonical state must match, and the audit chain must verify.
 */
class PlatformE2ETest {

  static Path root;
  static Path home;

  @BeforeAll
  static void up() throws Exception {
    root = Path.of("").toAbsolutePath().getParent();
    home = Files.createTempDirectory("dsync-e2e-");
    run(List.of("bin/dsync", "up"), 300);
  }

  @AfterAll
  static void down() throws Exception {
    run(List.of("bin/dsync", "down"), 120);
    assertThat(Files.exists(home.resolve("devstack/devstack.properties"))).isFalse();
  }

  @Test
  void scim_push_becomes_verified_webhooks_canonical_state_and_a_valid_audit_chain() throws Exception {
    String token = run(List.of("bin/dsync", "token", "--tenant", "e2e-" + System.nanoTime(), "--role", "tenant-admin"), 60).trim();
    Demo demo = new Demo(token, url(8081), url(8082), url(8083), url(8084), true);
    Demo.Summary s = demo.run();

    assertThat(s.scimFailures()).isZero();
    assertThat(s.webhooksReceived()).isGreaterThanOrEqualTo(11);
    assertThat(s.webhooksVerified()).as("every delivery's signature verifies").isEqualTo(s.webhooksReceived());
    assertThat(s.eventTypes()).containsEntry("dsync.user.created", 3).containsEntry("dsync.group.user_added", 3)
        .containsEntry("dsync.group.user_removed", 1).containsEntry("dsync.group.created", 1);
    assertThat(s.eventTypes().get("dsync.user.updated")).as("a rename and a deactivation").isEqualTo(2);
    assertThat(s.identities()).isEqualTo(3);
    assertThat(s.groups()).isEqualTo(1);
    assertThat(s.auditValid()).isTrue();
    assertThat(s.auditRecords()).isGreaterThan(10);
  }

  static String url(int port) {
    return "http://127.0.0.1:" + (port + 1000);
  }

  static String run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
    pb.environment().put("DSYNC_HOME", home.toString());
    pb.environment().put("DSYNC_PORT_OFFSET", "1000");
    pb.environment().put("DSYNC_NO_BUILD", "1");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " timed out");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(command + " failed (" + p.exitValue() + "):\n" + text + tail(home.resolve("logs")));
    }
    return text;
  }

  static String tail(Path logs) throws IOException {
    if (!Files.isDirectory(logs)) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    try (var files = Files.list(logs)) {
      for (Path f : files.toList()) {
        List<String> lines = Files.readAllLines(f);
        sb.append("\n--- ").append(f.getFileName()).append('\n');
        lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
      }
    }
    return sb.toString();
  }
}
