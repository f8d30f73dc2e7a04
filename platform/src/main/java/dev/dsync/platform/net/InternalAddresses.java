package dev.dsync.platform.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Addresses a multi-tenant service must not call on a tenant's say-so: loopback, private,
 * link-local (cloud metadata), carrier-grade NAT, reserved. Used by the webhook dispatcher and the
 * poller to refuse server-side request forgery towards the platform's own network.
 */
public final class InternalAddresses {

  private InternalAddresses() {}

  /** Null for a public unicast address, else what kind of internal address it is (for messages). */
  public static String reason(InetAddress a) {
    if (a.isLoopbackAddress()) {
      return "loopback";
    }
    if (a.isAnyLocalAddress()) {
      return "unspecified";
    }
    if (a.isLinkLocalAddress()) {
      return "link-local"; // includes 169.254.169.254, the cloud metadata service
    }
    if (a.isSiteLocalAddress()) {
      return "private";
    }
    if (a.isMulticastAddress()) {
      return "multicast";
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int o0 = b[0] & 0xff;
      int o1 = b[1] & 0xff;
      if (o0 == 0) {
        return "unspecified";
      }
      if (o0 == 100 && o1 >= 64 && o1 <= 127) {
        return "shared (carrier-grade NAT)";
      }
      if (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0) {
        return "reserved";
      }
      if (o0 == 198 && (o1 == 18 || o1 == 19)) {
        return "reserved";
      }
      if (o0 >= 240) {
        return "reserved";
      }
      return null;
    }
    if (a instanceof Inet6Address) {
      if ((b[0] & 0xfe) == 0xfc) {
        return "private"; // fc00::/7 unique local, includes fd00:ec2::254 (AWS metadata)
      }
      if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) {
        return "private"; // fec0::/10 deprecated site-local
      }
      if (isEmbeddedIpv4(b)) {
        try {
          return reason(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16)));
        } catch (UnknownHostException e) {
          return "reserved";
        }
      }
      return null;
    }
    return "unknown";
  }

  /** ::a.b.c.d (compatible) and 64:ff9b::a.b.c.d (NAT64) carry an IPv4 address that is what gets reached. */
  private static boolean isEmbeddedIpv4(byte[] b) {
    boolean compatible = true;
    for (int i = 0; i < 12; i++) {
      compatible &= b[i] == 0;
    }
    boolean nat64 = (b[0] & 0xff) == 0 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
    for (int i = 4; nat64 && i < 12; i++) {
      nat64 = b[i] == 0;
    }
    return compatible || nat64;
  }
}
