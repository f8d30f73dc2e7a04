package dev.dsync.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Starts a Kafka broker and a PostgreSQL server on loopback and keeps them until stopped (SIGTERM,
 * or its standard input closing when started with {@code --exit-on-stdin-close}, so a test JVM that
 * dies takes its devstack with it). Also signs dev admin tokens: {@code token --tenant t --role r}.
 */
public final class DevstackMain {

  private DevstackMain() {}

  public static void main(String[] args) throws Exception {
    List<String> argv = new ArrayList<>(Arrays.asList(args));
    if (!argv.isEmpty() && argv.get(0).equals("token")) {
      token(argv.subList(1, argv.size()));
      return;
    }
    Path stateDir = Path.of(option(argv, "--state-dir", ".dsync/devstack"));
    boolean exitOnStdinClose = argv.contains("--exit-on-stdin-close");
    int kafkaPort = Integer.parseInt(option(argv, "--kafka-port", "0"));
    int pgPort = Integer.parseInt(option(argv, "--pg-port", "0"));
    // Three ports held open together, so the OS cannot hand the same one out twice (it did: Kafka's
    // broker and controller listeners once got one port and the broker refused to start).
    int[] free = freePorts(3, kafkaPort, pgPort);
    run(stateDir, kafkaPort == 0 ? free[0] : kafkaPort, pgPort == 0 ? free[1] : pgPort, free[2], exitOnStdinClose);
  }

  private static void run(Path stateDir, int kafkaPort, int pgPort, int controllerPort, boolean exitOnStdinClose)
      throws Exception {
    Files.createDirectories(stateDir);
    Path data = stateDir.resolve("data");
    deleteTree(data);
    Files.deleteIfExists(stateDir.resolve(DevstackState.FILE));
    Files.createDirectories(data);
    long t0 = System.nanoTime();

    AtomicReference<Postgres> pg = new AtomicReference<>(Postgres.start(data.resolve("postgres"), pgPort));
    AtomicReference<KafkaBroker> kafka = new AtomicReference<>(KafkaBroker.start(data.resolve("kafka"), kafkaPort, controllerPort));
    kafka.get().createTopics();

    KeyPair keys = DevJwt.generate();
    Path privatePem = stateDir.resolve("jwt-private.pem");
    Path publicPem = stateDir.resolve("jwt-public.pem");
    DevJwt.write(keys, privatePem, publicPem);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop(stateDir, kafka.get(), pg.get(), data);
                  stopped.countDown();
                },
                "devstack-stop"));

    DevstackState state =
        new DevstackState(
            ProcessHandle.current().pid(),
            kafka.get().bootstrapServers(),
            pg.get().url(),
            Postgres.USER,
            Postgres.PASSWORD,
            privatePem.toAbsolutePath(),
            publicPem.toAbsolutePath());
    state.write(stateDir);
    System.out.printf(
        "devstack ready in %d ms: kafka %s, postgresql %s%n",
        (System.nanoTime() - t0) / 1_000_000, state.kafkaBootstrap(), state.dbUrl());
    System.out.flush();

    Thread control = new Thread(() -> watchControl(stateDir.resolve("control"), data, pgPort == 0 ? pg.get().port() : pgPort, kafka, pg), "devstack-control");
    control.setDaemon(true);
    control.start();

    if (exitOnStdinClose) {
      InputStream in = System.in;
      while (in.read() >= 0) {
        // Nothing is read from the parent; EOF means it is gone.
      }
      System.exit(0);
    }
    stopped.await();
  }

  /**
   * Restarts on request, for tests of how the services ride out an outage: a file
   * {@code control/restart-kafka} or {@code control/restart-postgres} (its content: seconds to stay
   * down, default 5) stops that server, waits, and starts it again on the same port with its data
   * kept; {@code control/<name>.done} is written when it is back. {@code bin/dsync restart} uses it.
   */
  private static void watchControl(Path dir, Path data, int pgPort, AtomicReference<KafkaBroker> kafka, AtomicReference<Postgres> pg) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      System.err.println("devstack control directory: " + e);
      return;
    }
    while (true) {
      for (String name : List.of("restart-kafka", "restart-postgres")) {
        Path request = dir.resolve(name);
        if (!Files.exists(request)) {
          continue;
        }
        try {
          String body = Files.readString(request).trim();
          long downSeconds = body.isEmpty() ? 5 : Long.parseLong(body);
          Files.delete(request);
          long t0 = System.nanoTime();
          if (name.equals("restart-kafka")) {
            kafka.get().close();
            Thread.sleep(downSeconds * 1000);
            kafka.set(kafka.get().restart());
          } else {
            pg.get().close();
            Thread.sleep(downSeconds * 1000);
            pg.set(Postgres.start(data.resolve("postgres"), pgPort));
          }
          System.out.printf("devstack: %s done in %d ms%n", name, (System.nanoTime() - t0) / 1_000_000);
          System.out.flush();
          Files.writeString(dir.resolve(name + ".done"), Long.toString(System.currentTimeMillis()));
        } catch (Exception e) {
          System.err.println("devstack: " + name + " failed: " + e);
          try {
            Files.writeString(dir.resolve(name + ".failed"), String.valueOf(e));
          } catch (IOException ignored) {
            // nothing more to tell
          }
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void stop(Path stateDir, KafkaBroker kafka, Postgres pg, Path data) {
    try {
      Files.deleteIfExists(stateDir.resolve(DevstackState.FILE));
    } catch (IOException ignored) {
      // The state file is advisory; a stale one is detected by its pid.
    }
    try {
      kafka.close();
    } catch (RuntimeException e) {
      System.err.println("kafka shutdown: " + e);
    }
    try {
      pg.close();
    } catch (IOException | RuntimeException e) {
      System.err.println("postgresql shutdown: " + e);
    }
    try {
      deleteTree(data);
    } catch (IOException e) {
      System.err.println("cleanup of " + data + ": " + e);
    }
  }

  private static void token(List<String> argv) throws Exception {
    Path stateDir = Path.of(option(argv, "--state-dir", ".dsync/devstack"));
    String tenant = option(argv, "--tenant", "acme");
    String subject = option(argv, "--subject", "admin@" + tenant + ".example");
    long ttl = Long.parseLong(option(argv, "--ttl-seconds", "43200"));
    List<String> roles = new ArrayList<>();
    for (int i = 0; i < argv.size() - 1; i++) {
      if (argv.get(i).equals("--role")) {
        roles.add(argv.get(i + 1));
      }
    }
    if (roles.isEmpty()) {
      roles.add("tenant-admin");
    }
    DevstackState state = DevstackState.read(stateDir);
    System.out.println(DevJwt.sign(DevJwt.readPrivate(state.jwtPrivateKey()), subject, tenant, roles, ttl));
  }

  /** {@code n} distinct free loopback ports, none equal to a port in {@code taken}. */
  static int[] freePorts(int n, int... taken) throws IOException {
    List<ServerSocket> open = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; ) {
        ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        open.add(s);
        int port = s.getLocalPort();
        if (Arrays.stream(taken).noneMatch(t -> t == port)) {
          ports[i++] = port;
        }
      }
      return ports;
    } finally {
      for (ServerSocket s : open) {
        s.close();
      }
    }
  }


  private static String option(List<String> argv, String name, String fallback) {
    int i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.size() ? argv.get(i + 1) : fallback;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
