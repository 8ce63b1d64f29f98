package fwi.cloud.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.cloud.latency.LatencyModel;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UniformTargetTest {
  // an oracle: one layer of 100 -> 100 channels whose cost is quadratic in the kept fraction, plus 2 ms
  private static final LatencyModel QUADRATIC = ch -> {
    double k = ch.get("conv")[1] / 100.0;
    return 2 + 40 * k * k;
  };

  private static Map<String, int[]> at(double keep) {
    int c = (int) Math.max(1, Math.round(100 * keep));
    return Map.of("conv", new int[] {c, c});
  }

  @Test
  void findsTheLeastPruningThatMeetsTheTarget() {
    UniformTarget.Choice c = UniformTarget.search(UniformTargetTest::at, QUADRATIC, 12, 0.9);
    // 2 + 40 k^2 <= 12  <=>  k <= 0.5; channel rounding lands on 50 channels
    assertEquals(0.5, c.ratio(), 0.01);
    assertEquals(12.0, c.predictedMs(), 1e-9);
  }

  @Test
  void aTargetTheFullModelMeetsNeedsNoPruning() {
    assertEquals(new UniformTarget.Choice(0, 42), UniformTarget.search(UniformTargetTest::at, QUADRATIC, 50, 0.9));
  }

  @Test
  void anUnreachableTargetGivesTheFastestAllowedChoiceWhenAskedForIt() {
    UniformTarget.Choice fastest = UniformTarget.searchOrFastest(UniformTargetTest::at, QUADRATIC, 2.1, 0.9);
    assertEquals(0.9, fastest.ratio());
    assertEquals(2.4, fastest.predictedMs(), 1e-9);
    assertEquals(UniformTarget.search(UniformTargetTest::at, QUADRATIC, 12, 0.9),
        UniformTarget.searchOrFastest(UniformTargetTest::at, QUADRATIC, 12, 0.9));
  }

  @Test
  void anUnreachableTargetNamesTheBest() {
    assertEquals("target 2.10 ms cannot be reached by uniform pruning up to ratio 0.90 (predicted 2.40 ms there)",
        assertThrows(IllegalArgumentException.class,
            () -> UniformTarget.search(UniformTargetTest::at, QUADRATIC, 2.1, 0.9)).getMessage());
  }
}
