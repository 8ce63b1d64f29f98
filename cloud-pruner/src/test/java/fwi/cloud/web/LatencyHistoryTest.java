package fwi.cloud.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyHistoryTest {
  private static LatencyHistory.Point at(long t, double p95) {
    return new LatencyHistory.Point(t, p95 / 2, p95, 500);
  }

  @Test
  void keepsEachProfilesPointsOldestFirstWithinTheRetention() {
    LatencyHistory h = new LatencyHistory(10_000, 1_000);
    h.add("pi-4b", at(1_000, 100));
    h.add("pi-5", at(1_500, 50));
    h.add("pi-4b", at(2_000, 110));
    assertEquals(Map.of("pi-4b", List.of(at(1_000, 100), at(2_000, 110)), "pi-5", List.of(at(1_500, 50))),
        h.since(5_000));
    assertEquals(Map.of("pi-4b", List.of(at(2_000, 110))), h.since(11_800), "1.0 s and 1.5 s are older than 10 s");
    assertEquals(Map.of(), h.since(30_000));
  }

  @Test
  void holdsAtMostRetentionOverSamplePlusOnePointsPerProfile() {
    LatencyHistory h = new LatencyHistory(1_000, 100);
    for (long t = 0; t < 100; t++) {
      h.add("pi-4b", at(1_000 + t, t)); // far denser than one per 100 ms
    }
    List<LatencyHistory.Point> kept = h.since(1_099).get("pi-4b");
    assertEquals(11, kept.size());
    assertEquals(at(1_099, 99), kept.get(kept.size() - 1));
  }

  @Test
  void ignoresAPointOlderThanTheProfilesLatest() {
    LatencyHistory h = new LatencyHistory(10_000, 1_000);
    h.add("pi-4b", at(2_000, 110));
    h.add("pi-4b", at(1_000, 100));
    assertEquals(List.of(at(2_000, 110)), h.since(2_000).get("pi-4b"));
  }

  @Test
  void refusesASampleIntervalLongerThanTheRetentionNamingBoth() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LatencyHistory(1_000, 5_000));
    assertEquals("history sample interval must be in [1, 1000] ms, but was 5000", e.getMessage());
  }

  @Test
  void refusesANegativeLatencyNamingTheValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LatencyHistory.Point(1, -1, 2, 3));
    assertEquals("latencies must be finite and at least 0 ms, but were p50 -1.0, p95 2.0, SLO 3.0", e.getMessage());
  }
}
