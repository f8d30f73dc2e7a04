package dev.dsync.e2e;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The SaaS application's side: an HTTP endpoint on loopback that verifies every delivery's
 * Standard Webhooks signature (HMAC-SHA256 over "id.timestamp.body" with the whsec_ secret) with
 * the JDK's crypto, independently of dsync's own signer.
 */
public final class WebhookReceiver implements AutoCloseable {

  /** One delivery as received. */
  public record Delivery(String webhookId, String timestamp, String signature, String body, boolean verified) {}

  private final HttpServer server;
  private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  private volatile byte[] key;
  /**
   * Open once the secret is known. The directory's first event can be delivered as soon as the
   * endpoint exists, before the caller has read the secret from the creation's response; such a
   * delivery waits for it (a receiver knows its secret before it takes deliveries), where it was
   * refused as unverified.
   */
  private final java.util.concurrent.CountDownLatch keyKnown = new java.util.concurrent.CountDownLatch(1);
  private volatile Consumer<Delivery> listener = d -> {};

  public WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/webhooks", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      try {
        keyKnown.await(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      String id = exchange.getRequestHeaders().getFirst("webhook-id");
      String ts = exchange.getRequestHeaders().getFirst("webhook-timestamp");
      String sig = exchange.getRequestHeaders().getFirst("webhook-signature");
      String text = new String(body, StandardCharsets.UTF_8);
      Delivery d = new Delivery(id, ts, sig, text, verify(id, ts, sig, body));
      deliveries.add(d);
      listener.accept(d);
      exchange.sendResponseHeaders(d.verified() ? 204 : 401, -1);
      exchange.close();
    });
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/webhooks";
  }

  /** The endpoint's secret, as dsync returned it ({@code whsec_<base64>}). */
  public void secret(String whsec) {
    key = Base64.getDecoder().decode(whsec.substring("whsec_".length()));
    keyKnown.countDown();
  }

  public void onDelivery(Consumer<Delivery> listener) {
    this.listener = listener;
  }

  public List<Delivery> deliveries() {
    return new ArrayList<>(deliveries);
  }

  private boolean verify(String id, String ts, String header, byte[] body) {
    if (key == null || id == null || ts == null || header == null) {
      return false;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
      byte[] expected = mac.doFinal(body);
      for (String candidate : header.split(" ")) {
        if (candidate.startsWith("v1,")
            && MessageDigest.isEqual(expected, Base64.getDecoder().decode(candidate.substring(3)))) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
