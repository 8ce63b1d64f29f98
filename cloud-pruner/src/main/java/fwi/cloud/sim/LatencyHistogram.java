package fwi.cloud.sim;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts of latencies in microseconds in log-linear buckets: exact below 64 µs, above that 64
 * buckets per power of two, so a percentile is within 1.6 % of the true value; constant memory
 * however long the run (up to 2^40 µs, ~12 days; longer values count in the last bucket).
 * Thread-safe, lock-free.
 */
final class LatencyHistogram {
  private static final int SUB = 64;
  private static final int SUB_BITS = 6;
  private static final int MAX_EXP = 40;
  static final int BUCKETS = SUB + (MAX_EXP - SUB_BITS + 1) * SUB;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

  void record(long micros) {
    counts.incrementAndGet(bucket(Math.max(0, micros)));
  }

  /** The counts now, one per bucket. */
  long[] snapshot() {
    long[] c = new long[BUCKETS];
    for (int i = 0; i < BUCKETS; i++) {
      c[i] = counts.get(i);
    }
    return c;
  }

  static int bucket(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int exp = 63 - Long.numberOfLeadingZeros(v);
    if (exp > MAX_EXP) {
      return BUCKETS - 1;
    }
    int shift = exp - SUB_BITS;
    int sub = (int) (v >>> shift) - SUB;
    return SUB + shift * SUB + sub;
  }

  /** The largest value that falls in bucket {@code b}. */
  static long upperBound(int b) {
    if (b < SUB) {
      return b;
    }
    int shift = (b - SUB) / SUB;
    int sub = (b - SUB) % SUB;
    return ((long) (SUB + sub + 1) << shift) - 1;
  }

  /** Percentiles of {@code counts} (nearest rank, each reported as its bucket's upper bound); empty if no value. */
  static Optional<FleetSimReport.Latency> summarize(long[] counts) {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    if (n == 0) {
      return Optional.empty();
    }
    long max = 0;
    for (int b = counts.length - 1; b >= 0; b--) {
      if (counts[b] > 0) {
        max = upperBound(b);
        break;
      }
    }
    return Optional.of(new FleetSimReport.Latency(n, rank(counts, n, 0.50), rank(counts, n, 0.95),
        rank(counts, n, 0.99), max));
  }

  private static long rank(long[] counts, long n, double p) {
    long target = Math.max(1, (long) Math.ceil(p * n));
    long seen = 0;
    for (int b = 0; b < counts.length; b++) {
      seen += counts[b];
      if (seen >= target) {
        return upperBound(b);
      }
    }
    return upperBound(counts.length - 1);
  }
}
