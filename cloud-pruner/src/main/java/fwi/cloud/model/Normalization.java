package fwi.cloud.model;

/**
 * The pre- and post-processing InversionNet was trained with, baked into the deployed graph.
 *
 * <p>Seismic: {@code y = sign(x)·log1p(|x|)}, then min-max to [-1, 1] with limits
 * {@code [t(rawMin), t(rawMax)]} where {@code t} is the same log transform. Velocity:
 * {@code v = velocityScaleMps·v_n + velocityOffsetMps}.
 *
 * @param seismicRawMin smallest amplitude of the training data before the log transform
 * @param seismicRawMax largest amplitude of the training data before the log transform
 * @param velocityScaleMps half the velocity range, m/s (OpenFWI: 1500)
 * @param velocityOffsetMps centre of the velocity range, m/s (OpenFWI: 3000)
 */
public record Normalization(double seismicRawMin, double seismicRawMax, double velocityScaleMps,
    double velocityOffsetMps) {

  /** FlatVel-A limits from the OpenFWI dataset configuration. */
  public static final Normalization FLATVEL_A = new Normalization(-26.95, 52.77, 1500, 3000);
  /** CurveVel-A limits from the OpenFWI dataset configuration. */
  public static final Normalization CURVEVEL_A = new Normalization(-27.11, 55.10, 1500, 3000);

  public Normalization {
    if (!(seismicRawMin < seismicRawMax) || !Double.isFinite(seismicRawMin) || !Double.isFinite(seismicRawMax)) {
      throw new IllegalArgumentException("seismic raw min must be finite and below raw max, but was ["
          + seismicRawMin + ", " + seismicRawMax + "]");
    }
    if (!(velocityScaleMps > 0) || !Double.isFinite(velocityScaleMps)) {
      throw new IllegalArgumentException("velocity scale must be positive m/s, but was " + velocityScaleMps);
    }
    if (!Double.isFinite(velocityOffsetMps)) {
      throw new IllegalArgumentException("velocity offset must be finite m/s, but was " + velocityOffsetMps);
    }
  }

  /** The signed log transform {@code sign(x)·log1p(|x|)}. */
  public static double signedLog(double x) {
    return Math.signum(x) * Math.log1p(Math.abs(x));
  }

  /** Multiplier {@code a} in {@code y_n = a·y + b}, mapping the log-transformed range to [-1, 1]. */
  public double seismicScale() {
    return 2.0 / (signedLog(seismicRawMax) - signedLog(seismicRawMin));
  }

  /** Offset {@code b} in {@code y_n = a·y + b}. */
  public double seismicShift() {
    return -2.0 * signedLog(seismicRawMin) / (signedLog(seismicRawMax) - signedLog(seismicRawMin)) - 1.0;
  }

  /** What the graph feeds its core for one raw amplitude (reference for tests). */
  public double normalizeSeismic(double raw) {
    return seismicScale() * signedLog(raw) + seismicShift();
  }

  /** Lowest velocity the graph can output, m/s (the core ends in tanh). */
  public double velocityMinMps() {
    return velocityOffsetMps - velocityScaleMps;
  }

  /** Highest velocity the graph can output, m/s. */
  public double velocityMaxMps() {
    return velocityOffsetMps + velocityScaleMps;
  }
}
