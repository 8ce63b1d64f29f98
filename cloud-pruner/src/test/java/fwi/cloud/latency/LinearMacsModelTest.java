package fwi.cloud.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.cloud.latency.LinearMacsModel.LayerMacs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LinearMacsModelTest {
  private static final Map<String, LayerMacs> LAYERS = Map.of("a", new LayerMacs(1_000_000, 10, 20, false));

  @Test
  void fitRecoversTheLineThroughExactPoints() {
    List<double[]> pts = List.of(new double[] {1e8, 2.5 + 3e-8 * 1e8}, new double[] {5e8, 2.5 + 3e-8 * 5e8},
        new double[] {2e9, 2.5 + 3e-8 * 2e9});
    LinearMacsModel m = LinearMacsModel.fit(pts, LAYERS);
    assertEquals(2.5, m.interceptMs(), 1e-9);
    assertEquals(3e-8, m.msPerMac(), 1e-18);
  }

  @Test
  void fitRecoversCoefficientsFromNoisyPointsWithinTheNoise() {
    SplittableRandom r = new SplittableRandom(3);
    List<double[]> pts = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      double macs = r.nextDouble() * 2e9;
      pts.add(new double[] {macs, 4.0 + 2e-8 * macs + (r.nextDouble() - 0.5) * 0.2});
    }
    LinearMacsModel m = LinearMacsModel.fit(pts, LAYERS);
    assertEquals(4.0, m.interceptMs(), 0.03);
    assertEquals(2e-8, m.msPerMac(), 2e-11);
  }

  @Test
  void fitRefusesPointsThatAllHaveTheSameMacs() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LinearMacsModel.fit(List.of(new double[] {5, 1}, new double[] {5, 2}), LAYERS));
    assertEquals("a line needs at least two distinct MAC counts, but every point has 5.0", e.getMessage());
  }

  @Test
  void predictsFromMacsScaledByInputTimesOutputChannels() {
    Map<String, LayerMacs> layers = new LinkedHashMap<>();
    layers.put("a", new LayerMacs(1_000_000, 10, 20, false));
    layers.put("dw", new LayerMacs(10_000, 8, 8, true));
    LinearMacsModel m = new LinearMacsModel(1.0, 1e-6, layers);
    assertEquals(1.0 + 1.0 + 0.01, m.predictMs(Map.of()), 1e-12);
    // a at 5 -> 10 keeps a quarter of its MACs; the depthwise layer at 4 keeps half
    assertEquals(1.0 + 0.25 + 0.005, m.predictMs(Map.of("a", new int[] {5, 10}, "dw", new int[] {4, 4})), 1e-12);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> m.predictMs(Map.of("b", new int[] {1, 1})));
    assertEquals("unknown layer 'b'; the model knows [a, dw]", e.getMessage());
  }
}
