package fwi.cloud.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VelocityFamilyTest {
  @ParameterizedTest
  @EnumSource(VelocityFamily.class)
  void everyModelHasTwoToFourLayersWithinOpenFwiVelocities(VelocityFamily f) {
    SplittableRandom rnd = new SplittableRandom(11);
    for (int i = 0; i < 200; i++) {
      VelocityGrid g = f.sample(rnd, 70, 70);
      TreeSet<Float> distinct = new TreeSet<>();
      for (float v : g.v()) {
        assertTrue(v >= 1500 && v <= 4500, f + " velocity " + v);
        distinct.add(v);
      }
      assertTrue(distinct.size() >= 2 && distinct.size() <= 4, f + " has " + distinct.size() + " velocities");
      // the top rows (source and receivers) are inside the first, slowest layer
      for (int x = 0; x < 70; x++) {
        assertEquals(distinct.first(), g.at(0, x), f + " top row");
        assertEquals(distinct.first(), g.at(VelocityFamily.MIN_THICKNESS - 1, x), f + " row 4");
      }
    }
  }

  @Test
  void flatLayersAreConstantAlongEachRowAndIncreaseWithDepth() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (int i = 0; i < 50; i++) {
      VelocityGrid g = VelocityFamily.FLATVEL.sample(rnd, 70, 70);
      for (int z = 0; z < 70; z++) {
        for (int x = 1; x < 70; x++) {
          assertEquals(g.at(z, 0), g.at(z, x));
        }
        if (z > 0) {
          assertTrue(g.at(z, 0) >= g.at(z - 1, 0));
        }
      }
    }
  }

  @Test
  void curvedLayersBendAndFaultsBreakLayersSideways() {
    assertTrue(countModelsWithCurvedRows(VelocityFamily.CURVEVEL) >= 45, "most curved models have non-flat interfaces");
    assertEquals(0, countModelsWithCurvedRows(VelocityFamily.FLATVEL));
    // a fault offsets layers: some column's layer sequence differs from another's, even in flat models
    SplittableRandom rnd = new SplittableRandom(5);
    int broken = 0;
    for (int i = 0; i < 50; i++) {
      VelocityGrid g = VelocityFamily.FAULT.sample(rnd, 70, 70);
      boolean differs = false;
      for (int z = 0; z < 70 && !differs; z++) {
        differs = g.at(z, 0) != g.at(z, 69);
      }
      broken += differs ? 1 : 0;
    }
    assertTrue(broken >= 40, "faulted models with a lateral change: " + broken + " of 50");
  }

  private static int countModelsWithCurvedRows(VelocityFamily f) {
    SplittableRandom rnd = new SplittableRandom(9);
    int curved = 0;
    for (int i = 0; i < 50; i++) {
      VelocityGrid g = f.sample(rnd, 70, 70);
      boolean bent = false;
      for (int z = 0; z < 70 && !bent; z++) {
        for (int x = 1; x < 70 && !bent; x++) {
          bent = g.at(z, x) != g.at(z, 0);
        }
      }
      curved += bent ? 1 : 0;
    }
    return curved;
  }

  @Test
  void sameRandomStateGivesTheSameModel() {
    for (VelocityFamily f : VelocityFamily.values()) {
      assertEquals(f.sample(new SplittableRandom(42), 70, 70), f.sample(new SplittableRandom(42), 70, 70));
      assertNotEquals(f.sample(new SplittableRandom(42), 70, 70), f.sample(new SplittableRandom(43), 70, 70));
    }
  }

  @Test
  void parsesCliNamesAndRejectsOthersByName() {
    assertEquals(VelocityFamily.CURVEVEL, VelocityFamily.parse("curvevel"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VelocityFamily.parse("salt"));
    assertEquals("velocity family must be one of flatvel, curvevel, fault, but was 'salt'", e.getMessage());
  }
}
