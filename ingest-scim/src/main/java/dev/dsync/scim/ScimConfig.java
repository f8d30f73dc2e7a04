package dev.dsync.scim;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Settings of the SCIM service provider. */
@ConfigMapping(prefix = "dsync.scim")
public interface ScimConfig {

  /** Largest page a list request gets (count is capped at this; ServiceProviderConfig maxResults). */
  @WithDefault("200")
  int maxResults();

  /** Requests per second one directory may make before it gets 429 with Retry-After. */
  @WithDefault("200")
  int rateLimitPerSecond();

  /** Base URL clients reach this service at; SCIM base URLs and meta.location start with it. */
  @WithDefault("http://127.0.0.1:8081")
  String publicBaseUrl();

  /** How long a token lookup is cached; a revoked token stops working within this on other replicas. */
  @WithDefault("30s")
  Duration tokenCacheTtl();

  /** Longest filter expression accepted, in characters. */
  @WithDefault("4096")
  int maxFilterLength();
}
