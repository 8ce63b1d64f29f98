package fwi.edge.inference;

import java.util.Arrays;

/**
 * The latencies of the last {@code capacity} inferences, for windowed percentiles: telemetry
 * reports how the model runs now, not since boot. Thread-safe (short synchronized sections).
 */
public final class LatencyWindow {
  /**
   * Percentiles of the window, nanoseconds; nearest-rank, so every figure is a measured latency.
   *
   * @param count latencies in the window (0: the figures are 0)
   */
  public record Snapshot(int count, long p50, long p95, long p99, long max, long total) {
  }

  private final long[] ring;
  private int next;
  private int size;
  private long total;

  /** @throws IllegalArgumentException if {@code capacity} is below 1 */
  public LatencyWindow(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("latency window capacity must be at least 1, but was " + capacity);
    }
    ring = new long[capacity];
  }

  /** @throws IllegalArgumentException if {@code nanos} is negative */
  public synchronized void add(long nanos) {
    if (nanos < 0) {
      throw new IllegalArgumentException("latency must be at least 0 ns, but was " + nanos);
    }
    ring[next] = nanos;
    next = (next + 1) % ring.length;
    size = Math.min(size + 1, ring.length);
    total++;
  }

  public Snapshot snapshot() {
    long[] v;
    long seen;
    synchronized (this) {
      v = Arrays.copyOf(ring, size);
      seen = total;
    }
    if (v.length == 0) {
      return new Snapshot(0, 0, 0, 0, 0, seen);
    }
    Arrays.sort(v);
    return new Snapshot(v.length, rank(v, 0.50), rank(v, 0.95), rank(v, 0.99), v[v.length - 1], seen);
  }

  private static long rank(long[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
