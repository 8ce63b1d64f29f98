package fwi.cloud.metrics;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Quality metrics of predicted velocity maps, as the OpenFWI benchmark reports them. Stateless and
 * thread-safe.
 *
 * <p>Inputs: predicted and true velocities in m/s, both shaped {@code [N, 1, H, W]} (InversionNet:
 * {@code [N, 1, 70, 70]}). Conventions:
 * <ul>
 *   <li>MAE and RMSE on normalized values {@code v_n = (v - 3000) / 1500}; the m/s figures are the
 *       same errors times 1500. Values outside 1500–4500 m/s are not clipped.</li>
 *   <li>Batch MAE is the mean of per-sample MAEs (equal to the per-pixel mean, all samples having
 *       {@code H·W} pixels); batch RMSE is {@code sqrt} of the mean squared error over all pixels of
 *       the batch, not the mean of per-sample RMSEs.</li>
 *   <li>SSIM per sample on {@code x = (v_n + 1) / 2}, following {@code pytorch_ssim.ssim} as OpenFWI
 *       calls it: 11x11 Gaussian window with σ 1.5, zero-padded same-size convolution (padding 5),
 *       {@code C1 = (0.01·L)²}, {@code C2 = (0.03·L)²} with data range {@code L = 1}, SSIM map
 *       averaged over all {@code H·W} pixels (border pixels included). Batch SSIM is the mean over
 *       samples.</li>
 * </ul>
 */
public final class VelocityMetrics {
  /** Centre of the OpenFWI velocity range, m/s. */
  public static final double VELOCITY_OFFSET_MPS = 3000;
  /** Half the OpenFWI velocity range, m/s. */
  public static final double VELOCITY_SCALE_MPS = 1500;

  private VelocityMetrics() {}

  /**
   * Metrics of a whole batch.
   *
   * @param predicted predicted velocities {@code [N, 1, H, W]}, m/s
   * @param truth true velocities, same shape, m/s
   * @throws IllegalArgumentException if the shapes differ or are not {@code [N, 1, H, W]}, or if a
   *     value is NaN or infinite (the message names the tensor, sample, row and column)
   */
  public static QualityMetrics evaluate(FloatTensor predicted, FloatTensor truth) {
    return combine(sampleStats(predicted, truth));
  }

  /**
   * Metrics of each sample of a batch, in batch order, each with {@code samples() == 1}.
   *
   * @throws IllegalArgumentException as {@link #evaluate}
   */
  public static List<QualityMetrics> evaluatePerSample(FloatTensor predicted, FloatTensor truth) {
    List<QualityMetrics> out = new ArrayList<>();
    for (SampleStats s : sampleStats(predicted, truth)) {
      out.add(combine(List.of(s)));
    }
    return List.copyOf(out);
  }

  /** Metrics from per-sample sums; MAE and SSIM averaged per sample, RMSE per pixel. */
  static QualityMetrics combine(List<SampleStats> stats) {
    double mae = 0;
    double squared = 0;
    long pixels = 0;
    double ssim = 0;
    for (SampleStats s : stats) {
      mae += s.maeNorm();
      squared += s.squaredErrorNormSum();
      pixels += s.pixels();
      ssim += s.ssim();
    }
    int n = stats.size();
    double maeNorm = mae / n;
    double rmseNorm = Math.sqrt(squared / pixels);
    return new QualityMetrics(maeNorm, rmseNorm, ssim / n, maeNorm * VELOCITY_SCALE_MPS,
        rmseNorm * VELOCITY_SCALE_MPS, n);
  }

  /** Validates the inputs and reduces every sample to its sums. */
  static List<SampleStats> sampleStats(FloatTensor predicted, FloatTensor truth) {
    Shape shape = predicted.shape();
    if (!shape.equals(truth.shape())) {
      throw new IllegalArgumentException("predicted and true velocity maps must have the same shape, but were "
          + shape + " and " + truth.shape());
    }
    if (shape.rank() != 4 || shape.dim(1) != 1) {
      throw new IllegalArgumentException("velocity maps must be shaped [N, 1, H, W], but were " + shape);
    }
    requireFinite("predicted", predicted);
    requireFinite("true", truth);
    int n = shape.dim(0);
    int h = shape.dim(2);
    int w = shape.dim(3);
    int per = h * w;
    float[] p = predicted.data();
    float[] t = truth.data();
    List<SampleStats> out = new ArrayList<>(n);
    double[] x = new double[per];
    double[] y = new double[per];
    for (int s = 0; s < n; s++) {
      double abs = 0;
      double sq = 0;
      for (int k = 0; k < per; k++) {
        double pn = normalize(p[s * per + k]);
        double tn = normalize(t[s * per + k]);
        double d = pn - tn;
        abs += Math.abs(d);
        sq += d * d;
        x[k] = (pn + 1) / 2;
        y[k] = (tn + 1) / 2;
      }
      out.add(new SampleStats(abs, sq, per, Ssim.mean(x, y, h, w)));
    }
    return out;
  }

  /** {@code (v - 3000) / 1500}. */
  static double normalize(double velocityMps) {
    return (velocityMps - VELOCITY_OFFSET_MPS) / VELOCITY_SCALE_MPS;
  }

  private static void requireFinite(String which, FloatTensor t) {
    int i = t.firstNonFinite();
    if (i >= 0) {
      int h = t.shape().dim(2);
      int w = t.shape().dim(3);
      int per = h * w;
      throw new IllegalArgumentException(which + " velocity must be finite, but was " + t.data()[i]
          + " at sample " + i / per + ", row " + (i % per) / w + ", column " + i % w);
    }
  }
}
