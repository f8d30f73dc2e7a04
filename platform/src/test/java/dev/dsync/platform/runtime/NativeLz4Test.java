package dev.dsync.platform.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dsync.devstack.DevstackTestResource;
import dev.dsync.platform.outbox.OutboxBatch;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.UUID;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(DevstackTestResource.class)
class NativeLz4Test {

  @Inject NativeLz4 lz4;

  @Test
  void the_service_and_kafka_use_the_native_lz4_binding() {
    // Under Quarkus's class loader fastestInstance() alone returned the pure Java port.
    assertThat(lz4.implementation()).isEqualTo("LZ4Factory:JNI");
    assertThat(LZ4Factory.fastestInstance()).isSameAs(LZ4Factory.nativeInstance());
    assertThat(getClass().getClassLoader()).isNotSameAs(ClassLoader.getSystemClassLoader());
  }

  @Test
  void kafkas_lz4_reader_holds_the_native_decompressor() throws Exception {
    // Kafka takes its decompressor once, in a static field; the service's consumers and producers
    // have met lz4 batches by now (every service's outbox producer compresses with lz4).
    var field = Class.forName("org.apache.kafka.common.compress.Lz4BlockInputStream").getDeclaredField("DECOMPRESSOR");
    field.setAccessible(true);
    assertThat(field.get(null).getClass().getSimpleName()).startsWith("LZ4JNI");
  }

  @Test
  void batches_written_natively_read_back_with_the_java_port_and_back() {
    var entry = new OutboxBatch.Entry(UUID.randomUUID(), "t", "topic", "k", null, "acme", "d",
        ("{\"a\":\"" + "x".repeat(5000) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    var batch = new OutboxBatch.Writer().append(entry);
    byte[] stored = batch.compress();
    // The stored format is lz4's block format whatever binding wrote it: a row written by a relay
    // where the library did not load is read where it did, and the other way round.
    byte[] plain = batch.uncompressed();
    byte[] javaPort = new byte[plain.length];
    LZ4Factory.safeInstance().safeDecompressor().decompress(stored, 4, stored.length - 4, javaPort, 0);
    assertThat(javaPort).isEqualTo(plain);
    assertThat(OutboxBatch.decompress(stored)).containsExactly(entry);
  }
}
