package fwi.cloud.metrics;

import fwi.runtime.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Dataset-wide quality metrics, built batch by batch. Not thread-safe: one owner adds batches.
 *
 * <p>The mean is the same as {@link VelocityMetrics#evaluate} on all samples at once: MAE and SSIM
 * averaged per sample, RMSE the square root of the mean squared error over every pixel of every
 * sample. OpenFWI instead averages per-batch RMSEs, which depends on the batch size; the per-pixel
 * definition does not, and is never below the per-batch mean (Jensen).
 */
public final class MetricsAccumulator {
  private final List<SampleStats> samples = new ArrayList<>();

  /**
   * Adds a batch; a rejected batch leaves the accumulator unchanged.
   *
   * @param predicted predicted velocities {@code [N, 1, H, W]}, m/s
   * @param truth true velocities, same shape, m/s
   * @return the metrics of this batch alone
   * @throws IllegalArgumentException as {@link VelocityMetrics#evaluate}
   */
  public QualityMetrics add(FloatTensor predicted, FloatTensor truth) {
    List<SampleStats> batch = VelocityMetrics.sampleStats(predicted, truth);
    samples.addAll(batch);
    return VelocityMetrics.combine(batch);
  }

  /** Number of samples added so far. */
  public int samples() {
    return samples.size();
  }

  /** The metrics over every sample added, or empty if none was. */
  public Optional<QualityMetrics> mean() {
    return samples.isEmpty() ? Optional.empty() : Optional.of(VelocityMetrics.combine(samples));
  }
}
