package dev.dsync.webhooks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP receiver on 127.0.0.1 for delivery tests: records every request and answers from a
 * script of responses (the last one repeats), optionally holding each answer back for a while.
 */
public final class Receiver implements AutoCloseable {

  /** A request as the receiver saw it. */
  public record Received(Instant at, Map<String, List<String>> headers, String body) {
    public String header(String name) {
      List<String> values = headers.get(name.toLowerCase());
      return values == null || values.isEmpty() ? null : values.get(0);
    }
  }

  /** One scripted answer; a null body is a short JSON acknowledgement. */
  public record Answer(int status, Map<String, String> headers, long delayMillis, String body) {
    public Answer(int status, Map<String, String> headers, long delayMillis) {
      this(status, headers, delayMillis, null);
    }
  }

  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Deque<Answer> script = new ConcurrentLinkedDeque<>();
  private volatile Answer last = new Answer(200, Map.of(), 0);
  private volatile CountDownLatch hold;

  public Receiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  /** Answers these in order, then keeps answering the last one. */
  public Receiver answer(Answer... answers) {
    script.clear();
    script.addAll(List.of(answers));
    last = answers[answers.length - 1];
    return this;
  }

  public static Answer status(int status) {
    return new Answer(status, Map.of(), 0);
  }

  public static Answer slow(int status, long delayMillis) {
    return new Answer(status, Map.of(), delayMillis);
  }

  /** Holds every answer until {@link #release()} (a receiver stuck mid-request). */
  public void holdAnswers() {
    hold = new CountDownLatch(1);
  }

  public void release() {
    CountDownLatch h = hold;
    hold = null;
    if (h != null) {
      h.countDown();
    }
  }

  public List<Received> received() {
    return new ArrayList<>(received);
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Map<String, List<String>> headers = new TreeMap<>();
    exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), List.copyOf(v)));
    received.add(new Received(Instant.now(), headers, body));
    Answer answer = script.size() > 1 ? script.poll() : script.isEmpty() ? last : script.peek();
    try {
      CountDownLatch h = hold;
      if (h != null) {
        h.await(30, TimeUnit.SECONDS);
      }
      if (answer.delayMillis() > 0) {
        // The receiver being slow is the behaviour under test, not a wait of the test itself.
        new CountDownLatch(1).await(answer.delayMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
    byte[] reply =
        (answer.body() != null ? answer.body() : "{\"received\":true,\"status\":" + answer.status() + "}").getBytes(StandardCharsets.UTF_8);
    try {
      exchange.sendResponseHeaders(answer.status(), reply.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(reply);
      }
    } catch (IOException clientGone) {
      // The dispatcher gave up (timeout); nothing to answer to.
    } finally {
      exchange.close();
    }
  }

  @Override
  public void close() {
    release();
    server.stop(0);
  }
}
