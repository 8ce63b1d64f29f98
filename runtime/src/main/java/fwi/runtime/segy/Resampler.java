package fwi.runtime.segy;

/**
 * Puts one trace onto a new time axis starting at t = 0: linear interpolation, preceded when
 * downsampling by a zero-phase box (moving-average) filter spanning floor(ratio) input samples
 * (ratio = output interval / input interval, filter applied when it spans at least 2 samples; an
 * even span gives its two end taps half weight so the filter stays centred; near the trace ends
 * the average is taken over the taps that exist). The box filter only attenuates aliasing; data
 * with energy above the output Nyquist frequency should be low-passed properly before writing.
 */
final class Resampler {
  private Resampler() {}

  /**
   * @param samples output samples, exactly the requested count
   * @param zeroPadded trailing output samples past the last input sample, set to zero
   * @param truncated resampled samples that fell past the requested count and were dropped
   */
  record Result(float[] samples, int zeroPadded, int truncated) {}

  static Result resample(float[] in, double inIntervalUs, double outIntervalUs, int outSamples) {
    double ratio = outIntervalUs / inIntervalUs;
    float[] source = ratio >= 2 ? boxFilter(in, (int) Math.floor(ratio)) : in;
    // Output samples whose time does not pass the last input sample; the epsilon absorbs rounding
    // in the division so that e.g. 499 samples at 2 ms exactly cover 997 samples at 1 ms.
    long covered = (long) Math.floor((in.length - 1) / ratio + 1e-9) + 1;
    int filled = (int) Math.min(covered, outSamples);
    float[] out = new float[outSamples];
    for (int k = 0; k < filled; k++) {
      double p = k * ratio;
      int i = (int) Math.floor(p);
      double f = p - i;
      if (i >= source.length - 1) {
        out[k] = source[source.length - 1];
      } else {
        out[k] = (float) (source[i] + f * (source[i + 1] - source[i]));
      }
    }
    return new Result(out, outSamples - filled, (int) Math.max(0, covered - outSamples));
  }

  /** Centred moving average over a window of {@code width} samples. */
  static float[] boxFilter(float[] in, int width) {
    int half = width / 2;
    boolean even = width % 2 == 0;
    float[] out = new float[in.length];
    for (int i = 0; i < in.length; i++) {
      double sum = 0;
      double weights = 0;
      for (int j = -half; j <= half; j++) {
        int k = i + j;
        if (k < 0 || k >= in.length) {
          continue;
        }
        double w = (even && Math.abs(j) == half) ? 0.5 : 1.0;
        sum += w * in[k];
        weights += w;
      }
      out[i] = (float) (sum / weights);
    }
    return out;
  }
}
