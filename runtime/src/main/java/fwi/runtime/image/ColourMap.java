package fwi.runtime.image;

import java.util.Arrays;
import java.util.Locale;

/**
 * A colour map: a position {@code t} in [0, 1] to an {@code 0xRRGGBB} colour, by linear
 * interpolation (per sRGB channel) between evenly spaced anchor colours. Immutable and
 * thread-safe.
 *
 * <p>Positions outside [0, 1] clamp to the end colours, so callers can map out-of-range data
 * without checks; NaN is refused because it has no sensible colour.
 */
public final class ColourMap {
  /**
   * Sequential map for velocities, in the spirit of viridis: dark violet through blue, teal
   * and green to yellow, with lightness rising at every anchor so that slow is always dark and
   * fast always light, also in greyscale print and for most colour-blind readers.
   */
  public static final ColourMap VELOCITY = new ColourMap(
      "velocity", 0x430A55, 0x482F7E, 0x3D528C, 0x2F708E, 0x238D8C, 0x26AA81, 0x55C467, 0xA3DA38, 0xFCE626);

  /**
   * Diverging map for signed amplitudes: dark blue (t = 0, most negative) through blue to white
   * at t = 0.5 (zero) and through red to dark red (t = 1, most positive).
   */
  public static final ColourMap SEISMIC = new ColourMap(
      "seismic", 0x00004D, 0x0000FF, 0xFFFFFF, 0xFF0000, 0x800000);

  private final String name;
  private final int[] anchors;

  private ColourMap(String name, int... anchors) {
    this.name = name;
    this.anchors = anchors;
  }

  /**
   * A map through {@code anchors}, the first at t = 0, the last at t = 1, the rest evenly between.
   *
   * @throws IllegalArgumentException if there are fewer than two anchors
   */
  public static ColourMap of(String name, int... anchors) {
    if (anchors.length < 2) {
      throw new IllegalArgumentException("colour map needs at least 2 anchors, but had " + anchors.length);
    }
    int[] a = anchors.clone();
    for (int i = 0; i < a.length; i++) {
      a[i] &= 0xFFFFFF;
    }
    return new ColourMap(name, a);
  }

  /** The colour at t = 0. */
  public int low() {
    return anchors[0];
  }

  /** The colour at t = 1. */
  public int high() {
    return anchors[anchors.length - 1];
  }

  /** A copy of the anchor colours, t = 0 first. */
  public int[] anchors() {
    return anchors.clone();
  }

  /**
   * The colour at {@code t}; values below 0 give {@link #low()}, above 1 {@link #high()}.
   *
   * @throws IllegalArgumentException if {@code t} is NaN
   */
  public int colour(double t) {
    if (Double.isNaN(t)) {
      throw new IllegalArgumentException("colour map position must not be NaN");
    }
    if (t <= 0) {
      return low();
    }
    if (t >= 1) {
      return high();
    }
    double s = t * (anchors.length - 1);
    int i = (int) s;
    double f = s - i;
    int a = anchors[i];
    int b = anchors[i + 1];
    return mix(a >> 16, b >> 16, f) << 16 | mix((a >> 8) & 0xFF, (b >> 8) & 0xFF, f) << 8 | mix(a & 0xFF, b & 0xFF, f);
  }

  private static int mix(int a, int b, double f) {
    return (int) Math.round(a + (b - a) * f);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("ColourMap[").append(name);
    Arrays.stream(anchors).forEach(a -> s.append(String.format(Locale.ROOT, " #%06X", a)));
    return s.append(']').toString();
  }
}
