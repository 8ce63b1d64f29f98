package fwi.cloud.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class QualityMetricsTest {

  @Test
  void rejectsNegativeError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new QualityMetrics(-0.5, 0.1, 0.9, 15, 150, 1));
    assertEquals("maeNorm must be finite and non-negative, but was -0.5", e.getMessage());
  }

  @Test
  void rejectsNanError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new QualityMetrics(0.1, 0.1, 0.9, 150, Double.NaN, 1));
    assertEquals("rmseMps must be finite and non-negative, but was NaN", e.getMessage());
  }

  @Test
  void rejectsSsimAboveOne() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new QualityMetrics(0.1, 0.1, 1.5, 150, 150, 1));
    assertEquals("ssim must be in [-1, 1], but was 1.5", e.getMessage());
  }

  @Test
  void rejectsZeroSamples() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new QualityMetrics(0.1, 0.1, 0.9, 150, 150, 0));
    assertEquals("samples must be at least 1, but was 0", e.getMessage());
  }
}
