package dev.dsync.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A devstack in a child JVM, shared by everything in this JVM (tests start it once). The broker's
 * jars stay out of the caller's classpath; the child dies with its parent because it exits when
 * its standard input closes.
 */
public final class ForkedDevstack {

  private static ForkedDevstack shared;

  private final Process process;
  private final Path stateDir;
  private final DevstackState state;

  private ForkedDevstack(Process process, Path stateDir, DevstackState state) {
    this.process = process;
    this.stateDir = stateDir;
    this.state = state;
  }

  /** The devstack of this JVM, started on first use and stopped when the JVM exits. */
  public static synchronized DevstackState shared() {
    if (shared == null) {
      shared = start();
      ForkedDevstack started = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "devstack-fork-stop"));
    }
    return shared.state;
  }

  public static ForkedDevstack start() {
    try {
      Path stateDir = Files.createTempDirectory("dsync-devstack-");
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xmx512m");
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-XX:TieredStopAtLevel=1");
      cmd.add("-cp");
      cmd.add(classpath());
      cmd.add(DevstackMain.class.getName());
      cmd.add("--state-dir");
      cmd.add(stateDir.toString());
      cmd.add("--exit-on-stdin-close");
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(stateDir.resolve("devstack.log").toFile())
              .start();
      DevstackState state = awaitReady(p, stateDir, Duration.ofSeconds(120));
      return new ForkedDevstack(p, stateDir, state);
    } catch (IOException e) {
      throw new IllegalStateException("devstack could not start", e);
    }
  }

  public DevstackState state() {
    return state;
  }

  public Path stateDir() {
    return stateDir;
  }

  public long pid() {
    return process.pid();
  }

  /** Stops the child (closing its stdin, then SIGTERM) and removes its directory. */
  public void stop() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
      DevstackMain.deleteTree(stateDir);
    } catch (IOException | InterruptedException e) {
      System.err.println("devstack stop: " + e);
    }
  }

  private static DevstackState awaitReady(Process p, Path stateDir, Duration timeout)
      throws IOException {
    Instant deadline = Instant.now().plus(timeout);
    Path stateFile = stateDir.resolve(DevstackState.FILE);
    while (Instant.now().isBefore(deadline)) {
      if (Files.exists(stateFile)) {
        return DevstackState.read(stateDir);
      }
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "devstack exited with " + p.exitValue() + ":\n" + tail(stateDir.resolve("devstack.log")));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException(
        "devstack not ready within " + timeout + ":\n" + tail(stateDir.resolve("devstack.log")));
  }

  private static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "";
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  /** This module's classes plus its runtime dependencies, as recorded by the build. */
  static String classpath() throws IOException {
    String self;
    try {
      self = Path.of(DevstackMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    try (InputStream in = DevstackMain.class.getResourceAsStream("runtime.classpath")) {
      if (in == null) {
        throw new IOException("runtime.classpath missing: build devstack with Maven first");
      }
      return self + java.io.File.pathSeparator + new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
  }
}
