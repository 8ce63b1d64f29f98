package fwi.runtime.segy;

/**
 * Conversion between IBM System/360 single-precision hexadecimal floats and IEEE binary32.
 *
 * <p>IBM layout: sign bit, 7-bit excess-64 base-16 exponent, 24-bit fraction F; value =
 * (-1)^sign · F/2^24 · 16^(exponent-64). Every IEEE float fits the IBM range, so encoding never
 * overflows; it rounds (half to even) because hex normalisation leaves only 21 to 24 significant
 * bits. IBM values outside the IEEE range decode to ±infinity or to a (sub)normal/zero.
 */
final class IbmFloat {
  private IbmFloat() {}

  /** The IEEE float nearest to the IBM float whose 32 bits are {@code bits}. */
  static float toFloat(int bits) {
    int fraction = bits & 0x00ff_ffff;
    if (fraction == 0) {
      return (bits < 0) ? -0.0f : 0.0f;
    }
    int exponent = (bits >>> 24) & 0x7f;
    // A double holds the 24-bit fraction exactly and spans the whole IBM range, so only the final
    // narrowing to float rounds.
    double magnitude = Math.scalb((double) fraction, 4 * (exponent - 64) - 24);
    return (float) (bits < 0 ? -magnitude : magnitude);
  }

  /**
   * The 32 bits of the IBM float nearest to {@code value}.
   *
   * @throws IllegalArgumentException if {@code value} is NaN or infinite (IBM floats have neither)
   */
  static int fromFloat(float value) {
    if (!Float.isFinite(value)) {
      throw new IllegalArgumentException("IBM float cannot represent " + value);
    }
    int bits = Float.floatToRawIntBits(value);
    int sign = bits & 0x8000_0000;
    int biased = (bits >>> 23) & 0xff;
    int mantissa = bits & 0x007f_ffff;
    if (biased == 0 && mantissa == 0) {
      return sign;
    }
    // value = mantissa · 2^(q - 24) with mantissa normalised into [2^23, 2^24).
    int q;
    if (biased == 0) {
      q = -149 + 24;
      while ((mantissa & 0x0080_0000) == 0) {
        mantissa <<= 1;
        q--;
      }
    } else {
      mantissa |= 0x0080_0000;
      q = biased - 150 + 24;
    }
    // IBM needs q to be a multiple of 4: shift the fraction right by 0..3 bits, rounding half to even.
    int shift = Math.floorMod(-q, 4);
    int fraction = mantissa >>> shift;
    if (shift > 0) {
      int dropped = mantissa & ((1 << shift) - 1);
      int half = 1 << (shift - 1);
      if (dropped > half || (dropped == half && (fraction & 1) == 1)) {
        fraction++;
      }
    }
    // No carry out of 24 bits is possible: rounding happens only after a shift of at least one bit.
    q += shift;
    int exponent = q / 4 + 64;
    return sign | (exponent << 24) | fraction;
  }
}
