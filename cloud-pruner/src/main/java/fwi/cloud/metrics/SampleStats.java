package fwi.cloud.metrics;

/**
 * Sums for one velocity map, so batches and datasets can be combined exactly.
 *
 * @param absErrorNormSum sum over pixels of {@code |p_n - t_n|}
 * @param squaredErrorNormSum sum over pixels of {@code (p_n - t_n)²}
 * @param pixels number of pixels, {@code H·W}
 * @param ssim mean of the SSIM map of this sample
 */
record SampleStats(double absErrorNormSum, double squaredErrorNormSum, int pixels, double ssim) {

  double maeNorm() {
    return absErrorNormSum / pixels;
  }
}
