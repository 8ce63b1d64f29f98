package fwi.runtime.segy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class IbmFloatTest {
  @Test
  void decodesKnownIbmBitPatterns() {
    assertEquals(100.0f, IbmFloat.toFloat(0x42640000));
    assertEquals(-118.625f, IbmFloat.toFloat(0xC276A000));
    assertEquals(0.0f, IbmFloat.toFloat(0x00000000));
    assertEquals(1.0f, IbmFloat.toFloat(0x41100000));
    assertEquals(0.5f, IbmFloat.toFloat(0x40800000));
    assertEquals(-1.0f, IbmFloat.toFloat(0xC1100000));
  }

  @Test
  void encodesKnownValuesToIbmBitPatterns() {
    assertEquals(0x42640000, IbmFloat.fromFloat(100.0f));
    assertEquals(0xC276A000, IbmFloat.fromFloat(-118.625f));
    assertEquals(0x00000000, IbmFloat.fromFloat(0.0f));
    assertEquals(0x41100000, IbmFloat.fromFloat(1.0f));
    assertEquals(0x40800000, IbmFloat.fromFloat(0.5f));
    assertEquals(0xC1100000, IbmFloat.fromFloat(-1.0f));
  }

  @Test
  void roundsToNearestWhenHexNormalisationDropsLowBits() {
    // 2 - 2^-23 needs 24 fraction bits but IBM keeps 21 at this exponent: rounds up to 2.0.
    assertEquals(0x41200000, IbmFloat.fromFloat(Math.nextDown(2.0f)));
    // 1 + 2^-23 rounds down to 1.0.
    assertEquals(0x41100000, IbmFloat.fromFloat(Math.nextUp(1.0f)));
  }

  @Test
  void decodesRandomIbmValuesAsFractionTimesPowerOfSixteen() {
    Random random = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      int exponent = 64 - 20 + random.nextInt(40);
      int fraction = 0x100000 + random.nextInt(0xF00000);
      int bits = (random.nextBoolean() ? 0x80000000 : 0) | (exponent << 24) | fraction;
      double oracle = (bits < 0 ? -1 : 1) * (fraction / Math.pow(2, 24)) * Math.pow(16, exponent - 64);
      assertEquals((float) oracle, IbmFloat.toFloat(bits));
      // Normalised IBM values in float range have at most 24 significant bits, so they survive both ways.
      assertEquals(bits, IbmFloat.fromFloat(IbmFloat.toFloat(bits)));
    }
  }

  @Test
  void encodesRandomFloatsWithinIbmPrecision() {
    Random random = new Random(11);
    for (int i = 0; i < 10_000; i++) {
      float value = (float) ((random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(30) - 15));
      float back = IbmFloat.toFloat(IbmFloat.fromFloat(value));
      assertEquals(value, back, Math.abs(value) * 0x1p-21);
    }
  }

  @Test
  void encodesSubnormalFloats() {
    assertEquals(Float.MIN_VALUE, IbmFloat.toFloat(IbmFloat.fromFloat(Float.MIN_VALUE)));
  }

  @Test
  void refusesNonFiniteValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IbmFloat.fromFloat(Float.NaN));
    assertEquals("IBM float cannot represent NaN", e.getMessage());
  }
}
