package dev.dsync.platform.runtime;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import net.jpountz.lz4.LZ4Factory;

/**
 * The lz4 codec every service uses: the outbox's batch rows and Kafka's own lz4 record batches.
 * {@code LZ4Factory.fastestInstance()} only picks the JNI binding when lz4-java sits on the system
 * class loader, which under Quarkus's class loader it never does, so both fell back to the pure Java
 * port: 14 % of the reconciler's CPU samples in a full sync. Asking for the native instance once
 * loads the library, and from then on Kafka's {@code fastestInstance()} finds it loaded too. Where
 * the library cannot load (an unusual platform), the Java port is used and that is logged. Kafka
 * reads {@code fastestInstance()} once, into static fields, when it first meets an lz4 batch, so
 * the library is loaded before any other startup observer runs (a consumer started by one could
 * otherwise get there first).
 */
@ApplicationScoped
public class NativeLz4 {

  /** The fastest instance that works here, loading the native library if it can. */
  public static final LZ4Factory FACTORY = load();

  private static LZ4Factory load() {
    try {
      return LZ4Factory.nativeInstance();
    } catch (Throwable e) {
      Log.infof("lz4 native library not loaded (%s); using the Java port", e.toString());
      return LZ4Factory.fastestJavaInstance();
    }
  }

  void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
    Log.debugf("lz4: %s", FACTORY);
  }

  /** The factory in use, as the status of this process. */
  public String implementation() {
    return FACTORY.toString();
  }
}
