package fwi.proto.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.proto.v1.VelocityEncoding;
import fwi.proto.v1.VelocityMap;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VelocityMapsTest {
  private static float[] velocities(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = 1500f + 3000f * r.nextFloat();
    }
    return v;
  }

  @Test
  void float32RoundTripsExactly() {
    float[] v = velocities(4900, 1);
    VelocityMap m = VelocityMaps.encode(v, new int[] {1, 1, 70, 70}, VelocityEncoding.VELOCITY_ENCODING_FLOAT32);
    assertEquals(4 * 4900, m.getData().size());
    assertEquals(java.util.Arrays.toString(v), java.util.Arrays.toString(VelocityMaps.decode(m)));
  }

  @Test
  void float16ErrorIsAtMostOneMetrePerSecondBetween2048And4096() {
    float[] v = velocities(4900, 2);
    VelocityMap m = VelocityMaps.encode(v, new int[] {70, 70}, VelocityEncoding.VELOCITY_ENCODING_FLOAT16);
    assertEquals(2 * 4900, m.getData().size());
    float[] back = VelocityMaps.decode(m);
    for (int i = 0; i < v.length; i++) {
      // half-float spacing is 1 below 2048 m/s, 2 from 2048 to 4096, 4 above: error at most half of it
      double bound = v[i] < 2048 ? 0.5 : v[i] < 4096 ? 1.0 : 2.0;
      assertTrue(Math.abs(back[i] - v[i]) <= bound, i + ": " + v[i] + " -> " + back[i]);
    }
  }

  @Test
  void halfConversionMatchesReferenceValues() {
    // independent oracle: known binary16 bit patterns
    assertEquals((short) 0x3c00, VelocityMaps.toHalf(1f));
    assertEquals((short) 0xc000, VelocityMaps.toHalf(-2f));
    assertEquals((short) 0x7bff, VelocityMaps.toHalf(65504f));
    assertEquals((short) 0x7c00, VelocityMaps.toHalf(65520f)); // rounds up past the largest half
    assertEquals((short) 0x0001, VelocityMaps.toHalf(0x1p-24f)); // smallest subnormal
    assertEquals((short) 0x6c00, VelocityMaps.toHalf(4096f));
    assertEquals((short) 0x6800, VelocityMaps.toHalf(2049f)); // tie: 2048 and 2050, even mantissa wins
    assertEquals((short) 0x6802, VelocityMaps.toHalf(2051f)); // tie: 2050 (odd mantissa) and 2052 (even) -> 2052
  }

  @Test
  void scaledUint16ErrorIsAtMostHalfAStep() {
    float[] v = velocities(4900, 3);
    VelocityMap m = VelocityMaps.encode(v, new int[] {70, 70}, VelocityEncoding.VELOCITY_ENCODING_UINT16_SCALED);
    float[] back = VelocityMaps.decode(m);
    float step = m.getScaleMPerS();
    for (int i = 0; i < v.length; i++) {
      assertTrue(Math.abs(back[i] - v[i]) <= step / 2 + 1e-3, i + ": " + v[i] + " -> " + back[i]);
    }
  }

  @Test
  void refusesNonFiniteValuesNamingTheIndex() {
    float[] v = {1500f, Float.NaN};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VelocityMaps.encode(v, new int[] {2}, VelocityEncoding.VELOCITY_ENCODING_FLOAT16));
    assertEquals("velocity map value 1 is NaN; only finite values can be sent", e.getMessage());
  }

  @Test
  void refusesDataWhoseLengthDoesNotMatchTheShape() {
    VelocityMap bad = VelocityMaps.encode(new float[] {1, 2}, new int[] {2}, VelocityEncoding.VELOCITY_ENCODING_FLOAT16)
        .toBuilder().clearShape().addShape(3).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VelocityMaps.decode(bad));
    assertEquals("velocity map of shape [3] in VELOCITY_ENCODING_FLOAT16 needs 6 data bytes, but has 4", e.getMessage());
  }
}
