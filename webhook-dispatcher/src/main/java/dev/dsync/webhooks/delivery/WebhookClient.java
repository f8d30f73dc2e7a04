package dev.dsync.webhooks.delivery;

import dev.dsync.webhooks.config.WebhooksConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.mutiny.core.MultiMap;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.net.SocketAddress;
import io.vertx.mutiny.ext.web.client.WebClient;
import io.vertx.mutiny.ext.web.codec.BodyCodec;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Sends one signed webhook request with Vert.x' web client. It connects to the address the
 * {@code UrlGuard} checked (the URL's host still names the Host header and TLS SNI), follows no
 * redirects, stops waiting after the timeout and keeps only the first bytes of the response body.
 */
@ApplicationScoped
public class WebhookClient {

  private final WebClient client;
  private final int bodyLimit;

  public WebhookClient(Vertx vertx, WebhooksConfig config) {
    this.bodyLimit = config.responseBodyLimit();
    WebClientOptions options =
        new WebClientOptions()
            .setUserAgent("dsync-webhooks/1")
            .setFollowRedirects(false)
            .setMaxPoolSize(config.httpPoolSize())
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.requestTimeout().toMillis()))
            .setKeepAlive(true)
            .setTryUseCompression(false);
    this.client = WebClient.create(vertx, options);
  }

  public Uni<HttpResult> post(URI url, InetAddress address, MultiMap headers, byte[] body, Duration timeout) {
    int port = url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    Capture capture = new Capture(bodyLimit);
    long start = System.nanoTime();
    return client
        .requestAbs(HttpMethod.POST, SocketAddress.inetSocketAddress(port, address.getHostAddress()), url.toString())
        .putHeaders(headers)
        .timeout(timeout.toMillis())
        .as(BodyCodec.newInstance(io.vertx.ext.web.codec.BodyCodec.pipe(capture)))
        .sendBuffer(Buffer.buffer(body))
        // The client's own timeout resets on every byte; this bounds the whole exchange.
        .ifNoItem()
        .after(timeout)
        .failWith(() -> new TimeoutException())
        .map(r -> HttpResult.response(r.statusCode(), r.getHeader("Retry-After"), capture.text(), millisSince(start)))
        .onFailure()
        .recoverWithItem(f -> HttpResult.failure(describe(f, timeout), millisSince(start)));
  }

  @PreDestroy
  void close() {
    client.close();
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  /** An error fit for the endpoint's administrator: what happened, not a stack trace. */
  private static String describe(Throwable f, Duration timeout) {
    if (f instanceof TimeoutException || f.getClass().getSimpleName().contains("Timeout")) {
      return "timeout: no complete answer within " + timeout.toMillis() + " ms";
    }
    if (f instanceof ConnectException) {
      return "connection failed: " + f.getMessage();
    }
    String message = f.getMessage();
    return f.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** Keeps the first {@code limit} bytes of a response body and drops the rest as it streams in. */
  static final class Capture implements WriteStream<io.vertx.core.buffer.Buffer> {
    private final int limit;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

    Capture(int limit) {
      this.limit = limit;
    }

    synchronized String text() {
      return kept.size() == 0 ? null : kept.toString(StandardCharsets.UTF_8);
    }

    @Override
    public WriteStream<io.vertx.core.buffer.Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public synchronized Future<Void> write(io.vertx.core.buffer.Buffer data) {
      int room = limit - kept.size();
      if (room > 0) {
        byte[] bytes = data.getBytes();
        kept.write(bytes, 0, Math.min(room, bytes.length));
      }
      return Future.succeededFuture();
    }

    @Override
    public void write(io.vertx.core.buffer.Buffer data, Handler<AsyncResult<Void>> handler) {
      write(data).onComplete(handler);
    }

    @Override
    public void end(Handler<AsyncResult<Void>> handler) {
      if (handler != null) {
        handler.handle(Future.succeededFuture());
      }
    }

    @Override
    public WriteStream<io.vertx.core.buffer.Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public WriteStream<io.vertx.core.buffer.Buffer> drainHandler(Handler<Void> handler) {
      return this;
    }
  }
}
