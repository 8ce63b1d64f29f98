package fwi.runtime.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ColourMapTest {
  /**
   * Luminance change a single 8-bit step can cause: between close positions one channel may
   * round down before another rounds up, so "monotone" holds only up to this.
   */
  static final double ROUNDING = 0.001;

  /** Relative luminance (WCAG) of an sRGB colour, 0 black to 1 white. */
  static double luminance(int rgb) {
    return 0.2126 * linear(rgb >> 16 & 0xFF) + 0.7152 * linear(rgb >> 8 & 0xFF) + 0.0722 * linear(rgb & 0xFF);
  }

  private static double linear(int c) {
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }

  @Test
  void velocityMapGetsLighterAllTheWayFromSlowToFast() {
    double before = -1;
    for (int i = 0; i <= 1000; i++) {
      double l = luminance(ColourMap.VELOCITY.colour(i / 1000.0));
      assertTrue(l >= before - ROUNDING, "luminance falls at t = " + i / 1000.0);
      before = l;
    }
    before = -1;
    for (int i = 0; i <= 64; i++) {
      double l = luminance(ColourMap.VELOCITY.colour(i / 64.0));
      assertTrue(l > before, "luminance does not rise at t = " + i / 64.0);
      before = l;
    }
    assertTrue(luminance(ColourMap.VELOCITY.high()) - luminance(ColourMap.VELOCITY.low()) > 0.7);
    assertEquals(9, ColourMap.VELOCITY.anchors().length);
  }

  @Test
  void seismicMapIsWhiteAtZeroAndDarkAtBothEnds() {
    assertEquals(0xFFFFFF, ColourMap.SEISMIC.colour(0.5));
    assertEquals(0x00004D, ColourMap.SEISMIC.colour(0));
    assertEquals(0x0000FF, ColourMap.SEISMIC.colour(0.25));
    assertEquals(0xFF0000, ColourMap.SEISMIC.colour(0.75));
    assertEquals(0x800000, ColourMap.SEISMIC.colour(1));
  }

  @Test
  void interpolatesLinearlyBetweenAnchors() {
    ColourMap m = ColourMap.of("grey", 0x000000, 0xC8C8C8);
    assertEquals(0x323232, m.colour(0.25));
  }

  @Test
  void positionsOutsideTheRangeTakeTheEndColours() {
    assertEquals(ColourMap.VELOCITY.low(), ColourMap.VELOCITY.colour(-3));
    assertEquals(ColourMap.VELOCITY.high(), ColourMap.VELOCITY.colour(Double.POSITIVE_INFINITY));
  }

  @Test
  void refusesNaNPositionsAndSingleAnchorMaps() {
    IllegalArgumentException nan = assertThrows(IllegalArgumentException.class, () -> ColourMap.SEISMIC.colour(Double.NaN));
    assertEquals("colour map position must not be NaN", nan.getMessage());
    IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> ColourMap.of("flat", 0xFF0000));
    assertEquals("colour map needs at least 2 anchors, but had 1", one.getMessage());
  }
}
