package fwi.cloud.web;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last {@code retentionMs} of each profile's field latency, one point per sample, in memory, so a
 * dashboard opened later shows the recent past (the page keeps adding points itself from the live
 * stream). Bounded: at most {@code retentionMs / sampleMs + 1} points per profile, older ones dropped.
 * Thread-safe (synchronized).
 */
public final class LatencyHistory {
  /**
   * One sample of one profile.
   *
   * @param timeUnixMs when it was taken
   * @param p50Ms the profile's count-weighted p50 over its recent telemetry windows, milliseconds
   * @param p95Ms the same for p95, milliseconds
   * @param sloMs the profile's p95 SLO then, milliseconds
   */
  public record Point(long timeUnixMs, double p50Ms, double p95Ms, double sloMs) {
    public Point {
      if (!(p50Ms >= 0 && p95Ms >= 0 && sloMs >= 0) || Double.isInfinite(p50Ms) || Double.isInfinite(p95Ms)) {
        throw new IllegalArgumentException("latencies must be finite and at least 0 ms, but were p50 " + p50Ms
            + ", p95 " + p95Ms + ", SLO " + sloMs);
      }
    }
  }

  private final long retentionMs;
  private final int capacity;
  private final Map<String, Deque<Point>> byProfile = new TreeMap<>();

  /**
   * @param retentionMs how far back points are kept, ms; at least 1
   * @param sampleMs the intended interval between points, ms; in [1, retentionMs]
   * @throws IllegalArgumentException naming the bad argument and its value
   */
  public LatencyHistory(long retentionMs, long sampleMs) {
    if (retentionMs < 1) {
      throw new IllegalArgumentException("history retention must be at least 1 ms, but was " + retentionMs);
    }
    if (sampleMs < 1 || sampleMs > retentionMs) {
      throw new IllegalArgumentException("history sample interval must be in [1, " + retentionMs + "] ms, but was "
          + sampleMs);
    }
    this.retentionMs = retentionMs;
    this.capacity = (int) Math.min(Integer.MAX_VALUE - 1, retentionMs / sampleMs) + 1;
  }

  /**
   * Adds a point of {@code profile}; a point older than the profile's latest is ignored (clocks
   * never run backwards in one history).
   */
  public synchronized void add(String profile, Point p) {
    Deque<Point> q = byProfile.computeIfAbsent(profile, k -> new ArrayDeque<>());
    if (!q.isEmpty() && p.timeUnixMs() < q.peekLast().timeUnixMs()) {
      return;
    }
    q.addLast(p);
    while (q.size() > capacity) {
      q.removeFirst();
    }
    trim(q, p.timeUnixMs());
  }

  /** Every profile's points within the retention before {@code nowUnixMs}, oldest first. */
  public synchronized Map<String, List<Point>> since(long nowUnixMs) {
    Map<String, List<Point>> out = new TreeMap<>();
    byProfile.forEach((profile, q) -> {
      trim(q, nowUnixMs);
      if (!q.isEmpty()) {
        out.put(profile, List.copyOf(q));
      }
    });
    return out;
  }

  private void trim(Deque<Point> q, long nowUnixMs) {
    while (!q.isEmpty() && q.peekFirst().timeUnixMs() < nowUnixMs - retentionMs) {
      q.removeFirst();
    }
  }
}
