package fwi.cloud.metrics;

/**
 * SSIM as the {@code pytorch_ssim} package computes it (used by OpenFWI): an 11x11 Gaussian window
 * (σ 1.5, 1-D weights {@code exp(-(k-5)²/(2σ²))} normalized to sum 1, 2-D window their outer
 * product), convolved with zero padding of 5 so every map keeps size {@code H x W}; then
 * {@code ((2μxμy + C1)(2σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2))} per pixel, with
 * {@code σx² = E[x²] - μx²} etc. taken from the same padded convolution, and the mean over all pixels.
 * Near the border the window partly covers zero padding, exactly as in the reference.
 */
final class Ssim {
  static final int WINDOW_SIZE = 11;
  static final double SIGMA = 1.5;
  /** Data range of the [0, 1] images. */
  static final double DATA_RANGE = 1.0;
  static final double C1 = (0.01 * DATA_RANGE) * (0.01 * DATA_RANGE);
  static final double C2 = (0.03 * DATA_RANGE) * (0.03 * DATA_RANGE);

  private static final double[] WINDOW = gaussianWindow();

  private Ssim() {}

  /** The normalized 1-D Gaussian weights; a copy. */
  static double[] window() {
    return WINDOW.clone();
  }

  private static double[] gaussianWindow() {
    double[] g = new double[WINDOW_SIZE];
    double sum = 0;
    int centre = WINDOW_SIZE / 2;
    for (int k = 0; k < WINDOW_SIZE; k++) {
      g[k] = Math.exp(-((k - centre) * (k - centre)) / (2 * SIGMA * SIGMA));
      sum += g[k];
    }
    for (int k = 0; k < WINDOW_SIZE; k++) {
      g[k] /= sum;
    }
    return g;
  }

  /**
   * Same-size convolution of a row-major {@code h x w} image with the 2-D window, zero padded.
   * Separable: the padding is zero in both passes, so two 1-D passes equal the 2-D convolution.
   */
  static double[] localMean(double[] img, int h, int w) {
    return pass(pass(img, h, w, 1, w), w, h, w, 1);
  }

  /**
   * One zero-padded 1-D pass of the window along an axis of a row-major image: {@code lines}
   * lines of {@code length} values, consecutive values {@code step} apart, lines {@code stride}
   * apart (rows: step 1, stride w; columns: step w, stride 1).
   */
  private static double[] pass(double[] src, int lines, int length, int step, int stride) {
    int r = WINDOW_SIZE / 2;
    double[] out = new double[src.length];
    for (int line = 0; line < lines; line++) {
      int base = line * stride;
      for (int j = 0; j < length; j++) {
        double s = 0;
        for (int k = Math.max(-r, -j); k <= Math.min(r, length - 1 - j); k++) {
          s += WINDOW[k + r] * src[base + (j + k) * step];
        }
        out[base + j * step] = s;
      }
    }
    return out;
  }

  /** The per-pixel SSIM map of two row-major {@code h x w} images in [0, 1]. */
  static double[] map(double[] x, double[] y, int h, int w) {
    int n = h * w;
    double[] xx = new double[n];
    double[] yy = new double[n];
    double[] xy = new double[n];
    for (int p = 0; p < n; p++) {
      xx[p] = x[p] * x[p];
      yy[p] = y[p] * y[p];
      xy[p] = x[p] * y[p];
    }
    double[] muX = localMean(x, h, w);
    double[] muY = localMean(y, h, w);
    double[] eXX = localMean(xx, h, w);
    double[] eYY = localMean(yy, h, w);
    double[] eXY = localMean(xy, h, w);
    double[] out = new double[n];
    for (int p = 0; p < n; p++) {
      double mx = muX[p];
      double my = muY[p];
      double varX = eXX[p] - mx * mx;
      double varY = eYY[p] - my * my;
      double cov = eXY[p] - mx * my;
      out[p] = ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (varX + varY + C2));
    }
    return out;
  }

  /** Mean of the SSIM map. */
  static double mean(double[] x, double[] y, int h, int w) {
    double[] m = map(x, y, h, w);
    double s = 0;
    for (double v : m) {
      s += v;
    }
    // Clamped only against rounding: SSIM cannot leave [-1, 1] in exact arithmetic.
    return Math.max(-1.0, Math.min(1.0, s / m.length));
  }
}
