package dev.dsync.bench;

import java.util.Arrays;

/** Latency samples in microseconds, with percentiles. */
public final class Latencies {

  private long[] samples = new long[1024];
  private int size;
  private int errors;

  public synchronized void add(long micros) {
    if (size == samples.length) {
      samples = Arrays.copyOf(samples, size * 2);
    }
    samples[size++] = micros;
  }

  public synchronized void error() {
    errors++;
  }

  public synchronized int count() {
    return size;
  }

  public synchronized int errors() {
    return errors;
  }

  public synchronized double percentileMillis(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(samples, size);
    Arrays.sort(sorted);
    int idx = (int) Math.min(size - 1, Math.ceil(p / 100.0 * size) - 1);
    return sorted[Math.max(0, idx)] / 1000.0;
  }
}
