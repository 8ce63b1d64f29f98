package fwi.cloud.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.stats.LatencySummary;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  @Test
  void percentilesAreWithinOnePointSixPercentOfTheExactNearestRank() {
    Random r = new Random(3);
    long[] us = new long[20_000];
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 0; i < us.length; i++) {
      us[i] = (long) Math.exp(3 + 9 * r.nextDouble()); // 20 µs to 160 ms, log-uniform
      h.record(us[i]);
    }
    long[] nanos = new long[us.length];
    for (int i = 0; i < us.length; i++) {
      nanos[i] = us[i] * 1000;
    }
    LatencySummary exact = LatencySummary.ofNanos(nanos);
    FleetSimReport.Latency approx = LatencyHistogram.summarize(h.snapshot()).orElseThrow();
    assertEquals(us.length, approx.count());
    assertClose(exact.p50Us(), approx.p50Us());
    assertClose(exact.p95Us(), approx.p95Us());
    assertClose(exact.p99Us(), approx.p99Us());
    assertClose(exact.maxUs(), approx.maxUs());
  }

  private static void assertClose(long exact, long approx) {
    assertTrue(approx >= exact && approx <= exact * 1.016 + 1,
        "bucket upper bound " + approx + " must be in [" + exact + ", " + exact + " x 1.016]");
  }

  @Test
  void valuesBelowSixtyFourMicrosecondsAreExactAndNoValueLosesItsBucketOrder() {
    for (long v = 0; v < 64; v++) {
      assertEquals(v, LatencyHistogram.upperBound(LatencyHistogram.bucket(v)));
    }
    long previous = -1;
    for (int b = 0; b < LatencyHistogram.BUCKETS; b++) {
      assertTrue(LatencyHistogram.upperBound(b) > previous, "bucket " + b);
      previous = LatencyHistogram.upperBound(b);
      assertEquals(b, LatencyHistogram.bucket(previous), "the upper bound of bucket " + b + " lies in it");
    }
    assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucket(Long.MAX_VALUE));
  }

  @Test
  void noValueGivesNoSummary() {
    assertEquals(Optional.empty(), LatencyHistogram.summarize(new LatencyHistogram().snapshot()));
  }
}
