package fwi.runtime.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LatencySummaryTest {
  @Test
  void nearestRankPercentilesOfOneToHundredMilliseconds() {
    long[] nanos = new long[100];
    for (int i = 0; i < 100; i++) {
      nanos[99 - i] = (i + 1) * 1_000_000L; // 1..100 ms, reversed so sorting matters
    }
    LatencySummary s = LatencySummary.ofNanos(nanos);
    assertEquals(100, s.count());
    assertEquals(1_000, s.minUs());
    assertEquals(50_000, s.p50Us());
    assertEquals(95_000, s.p95Us());
    assertEquals(99_000, s.p99Us());
    assertEquals(100_000, s.maxUs());
    assertEquals(50_500.0, s.meanUs(), 1e-9);
  }

  @Test
  void singleSampleIsEveryPercentile() {
    LatencySummary s = LatencySummary.ofNanos(new long[] {2_500});
    assertEquals(3, s.p50Us());
    assertEquals(3, s.p99Us());
  }

  @Test
  void refusesAnEmptyWindow() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LatencySummary.ofNanos(new long[0]));
    assertEquals("latency summary needs at least 1 sample, but got 0", e.getMessage());
  }

  @Test
  void refusesNegativeDurations() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LatencySummary.ofNanos(new long[] {5, -1}));
    assertEquals("latency sample 1 must be non-negative, but was -1 ns", e.getMessage());
  }
}
