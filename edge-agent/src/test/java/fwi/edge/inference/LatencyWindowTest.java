package fwi.edge.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LatencyWindowTest {
  @Test
  void percentilesAreNearestRankOverTheLastCapacityLatencies() {
    LatencyWindow w = new LatencyWindow(100);
    for (int i = 1; i <= 150; i++) {
      w.add(i <= 50 ? 1_000_000 : i);
    }
    // the window now holds 51..150
    LatencyWindow.Snapshot s = w.snapshot();
    assertEquals(100, s.count());
    assertEquals(100, s.p50());
    assertEquals(145, s.p95());
    assertEquals(149, s.p99());
    assertEquals(150, s.max());
    assertEquals(150, s.total());
  }

  @Test
  void emptyWindowReportsZeros() {
    assertEquals(new LatencyWindow.Snapshot(0, 0, 0, 0, 0, 0), new LatencyWindow(3).snapshot());
  }

  @Test
  void badValuesAreRefusedByName() {
    assertEquals("latency window capacity must be at least 1, but was 0",
        assertThrows(IllegalArgumentException.class, () -> new LatencyWindow(0)).getMessage());
    assertEquals("latency must be at least 0 ns, but was -5",
        assertThrows(IllegalArgumentException.class, () -> new LatencyWindow(2).add(-5)).getMessage());
  }
}
