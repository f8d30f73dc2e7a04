package dev.dsync.webhooks.delivery;

/**
 * What one HTTP attempt came to: a status (with Retry-After and the start of the body) or, when no
 * response arrived, an error (timeout, connection failure, refused target).
 */
public record HttpResult(Integer status, String retryAfter, String body, String error, long latencyMs) {

  public static HttpResult response(int status, String retryAfter, String body, long latencyMs) {
    return new HttpResult(status, retryAfter, body, status >= 200 && status < 300 ? null : "HTTP " + status, latencyMs);
  }

  public static HttpResult failure(String error, long latencyMs) {
    return new HttpResult(null, null, null, error, latencyMs);
  }

  public boolean succeeded() {
    return status != null && status >= 200 && status < 300;
  }
}
