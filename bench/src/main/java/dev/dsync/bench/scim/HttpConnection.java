package dev.dsync.bench.scim;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 keep-alive connection over a blocking socket, one request at a time: the load
 * generator runs on the same two cores as the service, and java.net.http's client spent about as
 * much CPU per request as the service itself (0.35-0.5 ms measured), which capped what the bench
 * could show. This costs a write and a read or two per request. It reads a response whole (fixed
 * length or chunked) and reconnects when the server closes.
 */
final class HttpConnection implements Closeable {

  private final String host;
  private final int port;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  HttpConnection(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /** Sends one request and reads its whole response; answers the status code. */
  int send(String method, String path, String token, byte[] body) throws IOException {
    if (socket == null) {
      connect();
    }
    StringBuilder head = new StringBuilder(256)
        .append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(host).append(':').append(port)
        .append("\r\nAuthorization: Bearer ").append(token).append("\r\n");
    if (body != null) {
      head.append("Content-Type: application/scim+json\r\nContent-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] request = h;
    if (body != null) {
      request = java.util.Arrays.copyOf(h, h.length + body.length);
      System.arraycopy(body, 0, request, h.length, body.length);
    }
    try {
      out.write(request);
      out.flush();
      return readResponse();
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private int readResponse() throws IOException {
    String status = line();
    if (!status.startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP response: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    long length = -1;
    boolean chunked = false;
    boolean closeAfter = false;
    for (String h = line(); !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "connection" -> closeAfter = value.equalsIgnoreCase("close");
        default -> { }
      }
    }
    if (chunked) {
      for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0; size = Long.parseLong(line().split(";")[0].trim(), 16)) {
        skip(size);
        line();
      }
      for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
        // trailers are not used
      }
    } else if (length > 0) {
      skip(length);
    } else if (length < 0 && code != 204 && code != 304) {
      closeAfter = true; // body until close: read nothing more on this connection
    }
    if (closeAfter) {
      close();
    }
    return code;
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed mid-response");
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  private void skip(long n) throws IOException {
    while (n > 0) {
      long skipped = in.skip(n);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new IOException("connection closed mid-body");
        }
        skipped = 1;
      }
      n -= skipped;
    }
  }

  private void connect() throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), 5000);
    in = new BufferedInputStream(socket.getInputStream(), 16384);
    out = socket.getOutputStream();
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      socket = null;
    }
  }
}
