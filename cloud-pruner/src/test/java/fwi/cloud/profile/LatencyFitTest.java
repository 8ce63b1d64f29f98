package fwi.cloud.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LatencyFitTest {
  @Test
  void usesThePriorUntilTelemetryArrives() {
    LatencyFit.Estimate e = new LatencyFit(4.0).estimate();
    assertEquals(LatencyFit.Source.PRIOR, e.source());
    assertEquals(40.0, e.predictMs(10.0), 1e-12);
    assertTrue(Double.isNaN(e.rmsRelativeError()));
  }

  @Test
  void oneModelMovesThePredictionThroughItsReport() {
    LatencyFit f = new LatencyFit(4.0);
    f.observe("m1", 10.0, 62.0);
    LatencyFit.Estimate e = f.estimate();
    assertEquals(LatencyFit.Source.FITTED, e.source());
    assertEquals(62.0, e.predictMs(10.0), 1e-9);
    assertEquals(0.0, e.interceptMs());
    assertEquals(0.0, e.rmsRelativeError(), 1e-12);
  }

  @Test
  void twoModelsRecoverInterceptAndSlope() {
    // an independent oracle: a profile 3.5x slower with 4 ms fixed cost
    LatencyFit f = new LatencyFit(1.0);
    f.observe("full", 40.0, 4 + 3.5 * 40);
    f.observe("r075", 9.0, 4 + 3.5 * 9);
    LatencyFit.Estimate e = f.estimate();
    assertEquals(3.5, e.slope(), 1e-9);
    assertEquals(4.0, e.interceptMs(), 1e-9);
    assertEquals(4 + 3.5 * 20, e.predictMs(20), 1e-9);
    assertEquals(2, e.points());
  }

  @Test
  void repeatedReportsOfOneModelAreSmoothed() {
    LatencyFit f = new LatencyFit(1.0);
    f.observe("m", 10, 100);
    f.observe("m", 10, 200);
    assertEquals(1, f.estimate().points());
    assertEquals(130, f.estimate().predictMs(10), 1e-9);
  }

  @Test
  void refusesNonPositiveFigures() {
    LatencyFit f = new LatencyFit(1.0);
    assertEquals("observed p95 must be positive and finite, but was NaN",
        assertThrows(IllegalArgumentException.class, () -> f.observe("m", 1, Double.NaN)).getMessage());
    assertEquals("prior slowdown must be positive and finite, but was 0.0",
        assertThrows(IllegalArgumentException.class, () -> new LatencyFit(0)).getMessage());
  }
}
