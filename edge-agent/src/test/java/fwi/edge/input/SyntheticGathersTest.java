package fwi.edge.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.tensor.Shape;
import org.junit.jupiter.api.Test;

class SyntheticGathersTest {
  @Test
  void gathersHaveOpenFwiShapeAndAreReproduciblePerSeed() {
    SyntheticGathers.Sample a = new SyntheticGathers(5).next();
    SyntheticGathers.Sample b = new SyntheticGathers(5).next();
    assertEquals(Shape.of(5, 1000, 70), a.gathers().shape());
    assertEquals(Shape.of(70, 70), a.velocity().shape());
    assertArrayEquals(a.gathers().data(), b.gathers().data());
    assertEquals(-1, a.gathers().firstNonFinite());
  }

  @Test
  void theDirectWaveArrivesAtOffsetOverTopVelocity() {
    SyntheticGathers.Sample s = new SyntheticGathers(9).next();
    float v0 = s.velocity().data()[0];
    float[] g = s.gathers().data();
    // shot 0 sits at receiver 0; at receiver 60 (600 m) the direct wave peaks at 600 / v0 seconds,
    // the strongest event within 40 ms of that time
    int expected = Math.round(600f / v0 * 1000);
    int best = expected - 40;
    for (int t = expected - 40; t <= expected + 40; t++) {
      if (Math.abs(g[t * 70 + 60]) > Math.abs(g[best * 70 + 60])) {
        best = t;
      }
    }
    assertTrue(Math.abs(best - expected) <= 2, "peak at " + best + " ms, expected " + expected);
    // velocity increases with depth: layered model from the top
    assertTrue(s.velocity().data()[69 * 70] > v0);
  }
}
