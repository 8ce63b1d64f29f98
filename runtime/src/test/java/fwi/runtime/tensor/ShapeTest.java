package fwi.runtime.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ShapeTest {
  @Test
  void countsElementsAndPrintsLikeAList() {
    Shape s = Shape.of(2, 5, 1000, 70);
    assertEquals(700_000, s.elementCount());
    assertEquals("[2, 5, 1000, 70]", s.toString());
    assertEquals(Shape.of(1, 5, 1000, 70), s.withBatch(1));
  }

  @Test
  void refusesNonPositiveDimensionNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(1, 0, 3));
    assertEquals("shape dimension 1 must be at least 1, but was 0 in [1, 0, 3]", e.getMessage());
  }

  @Test
  void refusesShapesTooLargeForOneArray() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(100_000, 100_000));
    assertEquals("shape [100000, 100000] has more than 2147483639 elements", e.getMessage());
  }

  @Test
  void tensorRefusesValueCountThatDisagreesWithShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FloatTensor(Shape.of(2, 3), new float[5]));
    assertEquals("tensor of shape [2, 3] needs 6 values, but got 5", e.getMessage());
  }
}
