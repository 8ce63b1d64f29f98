package fwi.cloud.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LayerGridTest {
  static LayerKey key(String name, int cin, int cout) {
    return new LayerKey(name, "Conv", List.of(3, 3), List.of(1, 1), List.of(1, 1, 1, 1), List.of(1, 1), 1, 8, 8, 8, 8,
        cin, cout, List.of("BatchNormalization", "LeakyRelu"));
  }

  /** cin levels 4, 8, 16 and cout levels 2, 8 with values unrelated to any formula. */
  static LayerGrid grid() {
    return new LayerGrid(key("a", 16, 8), List.of(4, 8, 16), List.of(2, 8),
        List.of(List.of(1.0, 2.0), List.of(3.0, 7.0), List.of(5.0, 13.0)));
  }

  @Test
  void isExactAtEveryGridPoint() {
    LayerGrid g = grid();
    int[] cin = {4, 8, 16};
    int[] cout = {2, 8};
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 2; j++) {
        assertEquals(g.ms().get(i).get(j), g.predictMs(cin[i], cout[j]), 0, cin[i] + "->" + cout[j]);
      }
    }
    assertEquals(13.0, g.fullMs());
  }

  @Test
  void isLinearAlongEachAxisBetweenGridPoints() {
    LayerGrid g = grid();
    assertEquals(1.0 + (3.0 - 1.0) * 2 / 4, g.predictMs(6, 2), 1e-12);
    assertEquals(3.0 + (5.0 - 3.0) * 6 / 8, g.predictMs(14, 2), 1e-12);
    assertEquals(3.0 + (7.0 - 3.0) * 3 / 6, g.predictMs(8, 5), 1e-12);
  }

  @Test
  void isBilinearInsideACell() {
    LayerGrid g = grid();
    // cin 12 is halfway from 8 to 16, cout 5 halfway from 2 to 8: the mean of the four corners
    assertEquals((3.0 + 7.0 + 5.0 + 13.0) / 4, g.predictMs(12, 5), 1e-12);
    // cin 10 is 1/4 of the way from 8 to 16, cout 3 is 1/6 of the way from 2 to 8
    double s = 0.25;
    double t = 1.0 / 6;
    assertEquals((1 - s) * (1 - t) * 3 + s * (1 - t) * 5 + (1 - s) * t * 7 + s * t * 13, g.predictMs(10, 3), 1e-12);
  }

  @Test
  void reproducesALatencyThatIsBilinearInChannelsExactly() {
    LayerGrid g = new LayerGrid(key("b", 16, 16), List.of(2, 7, 16), List.of(1, 9, 16),
        List.of(List.of(f(2, 1), f(2, 9), f(2, 16)), List.of(f(7, 1), f(7, 9), f(7, 16)),
            List.of(f(16, 1), f(16, 9), f(16, 16))));
    for (int cin = 2; cin <= 16; cin++) {
      for (int cout = 1; cout <= 16; cout++) {
        assertEquals(f(cin, cout), g.predictMs(cin, cout), 1e-9, cin + "->" + cout);
      }
    }
  }

  private static double f(int cin, int cout) {
    return 0.05 + 0.01 * cin + 0.02 * cout + 0.003 * cin * cout;
  }

  @Test
  void holdsTheSmallestLevelsValueBelowIt() {
    LayerGrid g = grid();
    assertEquals(1.0, g.predictMs(1, 1), 0);
    assertEquals(1.0 + (2.0 - 1.0) * 3 / 6, g.predictMs(2, 5), 1e-12);
  }

  @Test
  void refusesToChangeAFixedAxisNamingLayerAndCounts() {
    LayerGrid g = new LayerGrid(key("first", 5, 8), List.of(5), List.of(2, 8), List.of(List.of(1.0, 2.0)));
    assertEquals(1.5, g.predictMs(5, 5), 1e-12);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.predictMs(4, 8));
    assertEquals("layer 'first' has fixed input channels 5 (the network input), but 4 were asked", e.getMessage());
  }

  @Test
  void refusesLevelsThatDoNotEndWithTheFullCount() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LayerGrid(key("a", 16, 8),
        List.of(4, 8), List.of(8), List.of(List.of(1.0), List.of(2.0))));
    assertEquals("layer 'a': cinLevels must end with the full count 16, but was [4, 8]", e.getMessage());
  }
}
