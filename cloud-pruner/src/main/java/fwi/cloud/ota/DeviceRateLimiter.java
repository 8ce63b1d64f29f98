package fwi.cloud.ota;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Per-device token buckets: one in blocks, one in bytes, each refilled at its rate up to its burst;
 * either may be off (rate 0). A request takes one block token and its length in byte tokens (at
 * most the burst, so a block larger than the burst still passes when the bucket is full), or is
 * refused with the time until both buckets hold enough. A refused request takes nothing.
 * Buckets of devices idle long enough to be full again are forgotten. Thread-safe.
 */
final class DeviceRateLimiter {
  private static final int SWEEP_EVERY = 1024;
  private static final double EPSILON = 1e-9;

  private final double blocksPerNano;
  private final double burstBlocks;
  private final double bytesPerNano;
  private final double burstBytes;
  private final LongSupplier nanoClock;
  private final long refillNanos;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final AtomicLong acquires = new AtomicLong();

  /**
   * @param blocksPerSecond block tokens per second; 0 for no block limit
   * @param burstBlocks block bucket size, at least 1 when the block limit is on
   * @param bytesPerSecond byte tokens per second; 0 for no byte limit
   * @param burstBytes byte bucket size, at least 1 when the byte limit is on
   */
  DeviceRateLimiter(double blocksPerSecond, double burstBlocks, double bytesPerSecond, double burstBytes,
      LongSupplier nanoClock) {
    this.blocksPerNano = blocksPerSecond / 1e9;
    this.burstBlocks = burstBlocks;
    this.bytesPerNano = bytesPerSecond / 1e9;
    this.burstBytes = burstBytes;
    this.nanoClock = nanoClock;
    double refill = 0;
    if (blocksPerSecond > 0) {
      refill = Math.max(refill, burstBlocks / blocksPerNano);
    }
    if (bytesPerSecond > 0) {
      refill = Math.max(refill, burstBytes / bytesPerNano);
    }
    this.refillNanos = (long) Math.min(Long.MAX_VALUE / 2, Math.ceil(refill));
  }

  boolean enabled() {
    return blocksPerNano > 0 || bytesPerNano > 0;
  }

  /**
   * Takes the tokens for one request of {@code bytes} by {@code deviceId}.
   *
   * @return 0 if admitted; otherwise the milliseconds (at least 1) until it would be
   */
  long acquire(String deviceId, long bytes) {
    if (!enabled()) {
      return 0;
    }
    long now = nanoClock.getAsLong();
    if (acquires.incrementAndGet() % SWEEP_EVERY == 0) {
      buckets.values().removeIf(b -> b.idleSince(now) > refillNanos);
    }
    return buckets.computeIfAbsent(deviceId, id -> new Bucket(now)).acquire(now, Math.max(0, bytes));
  }

  /** Devices with a bucket that may not be full yet. */
  int trackedDevices() {
    return buckets.size();
  }

  private final class Bucket {
    private double blocks = burstBlocks;
    private double byteTokens = burstBytes;
    private long last;

    Bucket(long now) {
      this.last = now;
    }

    synchronized long idleSince(long now) {
      return now - last;
    }

    synchronized long acquire(long now, long bytes) {
      long dt = Math.max(0, now - last);
      last = Math.max(last, now);
      if (blocksPerNano > 0) {
        blocks = Math.min(burstBlocks, blocks + dt * blocksPerNano);
      }
      double cost = Math.min(bytes, burstBytes);
      if (bytesPerNano > 0) {
        byteTokens = Math.min(burstBytes, byteTokens + dt * bytesPerNano);
      }
      // Refill arithmetic is floating point: a bucket that is full to within EPSILON counts as full.
      double waitNanos = 0;
      if (blocksPerNano > 0 && blocks < 1 - EPSILON) {
        waitNanos = Math.max(waitNanos, (1 - blocks) / blocksPerNano);
      }
      if (bytesPerNano > 0 && byteTokens < cost - EPSILON * cost) {
        waitNanos = Math.max(waitNanos, (cost - byteTokens) / bytesPerNano);
      }
      if (waitNanos > 0) {
        return Math.max(1, (long) Math.ceil((waitNanos - 1) / 1e6));
      }
      if (blocksPerNano > 0) {
        blocks = Math.max(0, blocks - 1);
      }
      if (bytesPerNano > 0) {
        byteTokens = Math.max(0, byteTokens - cost);
      }
      return 0;
    }
  }
}
