package fwi.cloud.metrics;

/**
 * Quality of predicted velocity maps against the true ones, over one or more samples.
 *
 * <p>Normalized values are {@code v_n = (v - 3000) / 1500} (OpenFWI, range [-1, 1] for 1500–4500
 * m/s). MAE and SSIM are means over samples; RMSE is the square root of the mean squared error
 * over every pixel of every sample (see {@link MetricsAccumulator}).
 *
 * <p>Invariants: errors finite and non-negative, SSIM finite in [-1, 1], at least one sample.
 *
 * @param maeNorm mean absolute error of normalized velocities
 * @param rmseNorm root mean squared error of normalized velocities
 * @param ssim structural similarity of velocities mapped to [0, 1], see {@link VelocityMetrics}
 * @param maeMps mean absolute error, m/s
 * @param rmseMps root mean squared error, m/s
 * @param samples number of velocity maps the metrics cover
 */
public record QualityMetrics(double maeNorm, double rmseNorm, double ssim, double maeMps, double rmseMps,
    int samples) {

  public QualityMetrics {
    requireError("maeNorm", maeNorm);
    requireError("rmseNorm", rmseNorm);
    requireError("maeMps", maeMps);
    requireError("rmseMps", rmseMps);
    if (!(ssim >= -1 && ssim <= 1)) {
      throw new IllegalArgumentException("ssim must be in [-1, 1], but was " + ssim);
    }
    if (samples < 1) {
      throw new IllegalArgumentException("samples must be at least 1, but was " + samples);
    }
  }

  private static void requireError(String field, double value) {
    if (!(value >= 0) || !Double.isFinite(value)) {
      throw new IllegalArgumentException(field + " must be finite and non-negative, but was " + value);
    }
  }
}
