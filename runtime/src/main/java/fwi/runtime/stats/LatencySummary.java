package fwi.runtime.stats;

import java.util.Arrays;

/**
 * Percentiles of a set of latency measurements, in microseconds. Percentiles use the
 * nearest-rank definition: the p-th percentile is the smallest sample with at least p% of the
 * samples at or below it, so it is always a value that was actually measured.
 *
 * @param count number of samples, at least 1
 */
public record LatencySummary(int count, double meanUs, long minUs, long p50Us, long p95Us, long p99Us, long maxUs) {
  public LatencySummary {
    if (count < 1) {
      throw new IllegalArgumentException("latency summary needs at least 1 sample, but got " + count);
    }
    if (!(minUs <= p50Us && p50Us <= p95Us && p95Us <= p99Us && p99Us <= maxUs)) {
      throw new IllegalArgumentException("percentiles must be ordered min <= p50 <= p95 <= p99 <= max, but were "
          + minUs + ", " + p50Us + ", " + p95Us + ", " + p99Us + ", " + maxUs);
    }
  }

  /**
   * Summarizes durations given in nanoseconds (for example from {@link System#nanoTime()} differences).
   *
   * @throws IllegalArgumentException if there are no samples or one is negative
   */
  public static LatencySummary ofNanos(long[] nanos) {
    if (nanos.length == 0) {
      throw new IllegalArgumentException("latency summary needs at least 1 sample, but got 0");
    }
    long[] us = new long[nanos.length];
    double sum = 0;
    for (int i = 0; i < nanos.length; i++) {
      if (nanos[i] < 0) {
        throw new IllegalArgumentException("latency sample " + i + " must be non-negative, but was " + nanos[i] + " ns");
      }
      us[i] = (nanos[i] + 500) / 1000;
      sum += nanos[i] / 1000.0;
    }
    Arrays.sort(us);
    return new LatencySummary(us.length, sum / us.length, us[0], rank(us, 0.50), rank(us, 0.95), rank(us, 0.99),
        us[us.length - 1]);
  }

  /** Nearest-rank percentile of sorted values. */
  static long rank(long[] sorted, double p) {
    int idx = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }
}
