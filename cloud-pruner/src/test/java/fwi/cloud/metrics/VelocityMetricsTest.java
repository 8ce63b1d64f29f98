package fwi.cloud.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VelocityMetricsTest {
  private static final double C1 = 1e-4;
  private static final double C2 = 9e-4;

  @Test
  void identicalMapsHaveZeroErrorAndSsimOne() {
    FloatTensor v = randomVelocities(2, 70, 70, 1);
    QualityMetrics m = VelocityMetrics.evaluate(v, v);
    assertEquals(0.0, m.maeNorm(), 1e-9);
    assertEquals(0.0, m.rmseNorm(), 1e-9);
    assertEquals(0.0, m.maeMps(), 1e-9);
    assertEquals(0.0, m.rmseMps(), 1e-9);
    assertEquals(1.0, m.ssim(), 1e-9);
    assertEquals(2, m.samples());
  }

  @Test
  void constantOffsetOf150MpsIsOneTenthInNormalizedUnits() {
    FloatTensor truth = randomVelocities(3, 70, 70, 2);
    float[] p = truth.data().clone();
    for (int i = 0; i < p.length; i++) {
      p[i] += 150f;
    }
    QualityMetrics m = VelocityMetrics.evaluate(new FloatTensor(truth.shape(), p), truth);
    assertEquals(0.1, m.maeNorm(), 1e-12);
    assertEquals(0.1, m.rmseNorm(), 1e-12);
    assertEquals(150.0, m.maeMps(), 1e-9);
    assertEquals(150.0, m.rmseMps(), 1e-9);
  }

  @Test
  void twoByTwoErrorsMatchHandComputation() {
    // m/s errors 1500, -750, 0, 300 -> normalized 1, -0.5, 0, 0.2
    FloatTensor predicted = tensor(Shape.of(1, 1, 2, 2), 4500, 2250, 3000, 3300);
    FloatTensor truth = tensor(Shape.of(1, 1, 2, 2), 3000, 3000, 3000, 3000);
    QualityMetrics m = VelocityMetrics.evaluate(predicted, truth);
    assertEquals(1.7 / 4, m.maeNorm(), 1e-12);
    assertEquals(Math.sqrt(1.29 / 4), m.rmseNorm(), 1e-12);
    assertEquals(637.5, m.maeMps(), 1e-9);
    assertEquals(1500 * Math.sqrt(1.29 / 4), m.rmseMps(), 1e-9);
  }

  @Test
  void batchRmseIsTakenOverAllPixelsNotAveragedOverSamples() {
    // sample 0 as in the 2x2 case, sample 1 exact
    FloatTensor predicted = tensor(Shape.of(2, 1, 2, 2), 4500, 2250, 3000, 3300, 2000, 2000, 2000, 2000);
    FloatTensor truth = tensor(Shape.of(2, 1, 2, 2), 3000, 3000, 3000, 3000, 2000, 2000, 2000, 2000);
    QualityMetrics m = VelocityMetrics.evaluate(predicted, truth);
    assertEquals(1.7 / 8, m.maeNorm(), 1e-12);
    assertEquals(Math.sqrt(1.29 / 8), m.rmseNorm(), 1e-12);
    assertEquals(2, m.samples());

    List<QualityMetrics> each = VelocityMetrics.evaluatePerSample(predicted, truth);
    assertEquals(2, each.size());
    assertEquals(Math.sqrt(1.29 / 4), each.get(0).rmseNorm(), 1e-12);
    assertEquals(0.0, each.get(1).rmseNorm(), 1e-12);
    assertEquals(1, each.get(0).samples());
    assertEquals((each.get(0).ssim() + each.get(1).ssim()) / 2, m.ssim(), 1e-12);
  }

  @Test
  void contrastInvertedMapHasSsimFarBelowOne() {
    FloatTensor truth = randomVelocities(1, 70, 70, 3);
    float[] inv = truth.data().clone();
    for (int i = 0; i < inv.length; i++) {
      inv[i] = 6000f - inv[i]; // v_n -> -v_n
    }
    double ssim = VelocityMetrics.evaluate(new FloatTensor(truth.shape(), inv), truth).ssim();
    assertTrue(ssim < -0.5, "ssim of an inverted random map should be strongly negative, but was " + ssim);
  }

  @Test
  void ssimIsSymmetric() {
    FloatTensor a = randomVelocities(2, 70, 70, 4);
    FloatTensor b = randomVelocities(2, 70, 70, 5);
    double ab = VelocityMetrics.evaluate(a, b).ssim();
    double ba = VelocityMetrics.evaluate(b, a).ssim();
    assertEquals(ab, ba, 1e-12);
    assertTrue(ab < 0.9, "ssim of independent random maps should be well below 1, but was " + ab);
  }

  @Test
  void ssimOfConstantMapsIsTheClosedFormInTheInterior() {
    double a = (2000.0 - 1500) / 3000; // x = (v_n + 1) / 2
    double b = (4000.0 - 1500) / 3000;
    double[] x = filled(70 * 70, a);
    double[] y = filled(70 * 70, b);
    double[] map = Ssim.map(x, y, 70, 70);
    double expected = (2 * a * b + C1) / (a * a + b * b + C1);
    assertEquals(expected, map[35 * 70 + 35], 1e-12);
    assertEquals(expected, map[5 * 70 + 64], 1e-12); // last pixel whose window stays inside
  }

  @Test
  void ssimOfConstantMapsAccountsForZeroPaddingAtTheBorder() {
    // Oracle: with zero padding a constant c has local mean c·S and variance c²·S(1-S), S being the
    // window weight inside the image; S from the 2-D Gaussian directly.
    int h = 70;
    int w = 70;
    double a = 1.0 / 6;
    double b = 5.0 / 6;
    double sum = 0;
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < w; j++) {
        double s = coverage(i, j, h, w);
        double mean = ((2 * a * b * s * s + C1) * (2 * a * b * s * (1 - s) + C2))
            / (((a * a + b * b) * s * s + C1) * ((a * a + b * b) * s * (1 - s) + C2));
        sum += mean;
      }
    }
    double expected = sum / (h * w);
    FloatTensor p = tensor(Shape.of(1, 1, h, w), filledFloats(h * w, 2000f));
    FloatTensor t = tensor(Shape.of(1, 1, h, w), filledFloats(h * w, 4000f));
    assertEquals(expected, VelocityMetrics.evaluate(p, t).ssim(), 1e-12);
    // padding matters here: the interior closed form alone would differ
    assertTrue(Math.abs(expected - (2 * a * b + C1) / (a * a + b * b + C1)) > 1e-3);
  }

  @Test
  void localMeanOfAnImpulseIsTheGaussianWindowOfSigmaOnePointFiveAndSizeEleven() {
    int n = 21;
    double[] img = new double[n * n];
    img[10 * n + 10] = 1;
    double[] mean = Ssim.localMean(img, n, n);
    assertEquals(weight(0, 0), mean[10 * n + 10], 1e-15);
    assertEquals(weight(0, 3), mean[10 * n + 13], 1e-15);
    assertEquals(weight(2, -1), mean[12 * n + 9], 1e-15);
    assertEquals(weight(5, 5), mean[15 * n + 15], 1e-15);
    assertEquals(0.0, mean[10 * n + 16], 0.0);
    assertEquals(0.0, mean[4 * n + 10], 0.0);
  }

  @Test
  void rejectsMismatchedShapesNamingBoth() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VelocityMetrics.evaluate(FloatTensor.zeros(Shape.of(2, 1, 70, 70)),
            FloatTensor.zeros(Shape.of(1, 1, 70, 70))));
    assertEquals("predicted and true velocity maps must have the same shape, but were [2, 1, 70, 70] and [1, 1, 70, 70]",
        e.getMessage());
  }

  @Test
  void rejectsMapsThatAreNotSingleChannelBatches() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VelocityMetrics.evaluate(FloatTensor.zeros(Shape.of(1, 70, 70)), FloatTensor.zeros(Shape.of(1, 70, 70))));
    assertEquals("velocity maps must be shaped [N, 1, H, W], but were [1, 70, 70]", e.getMessage());
  }

  @Test
  void rejectsNanInPredictionNamingSampleAndPixel() {
    float[] p = filledFloats(8, 3000f);
    p[5] = Float.NaN;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VelocityMetrics.evaluate(tensor(Shape.of(2, 1, 2, 2), p), tensor(Shape.of(2, 1, 2, 2), filledFloats(8, 3000f))));
    assertEquals("predicted velocity must be finite, but was NaN at sample 1, row 0, column 1", e.getMessage());
  }

  @Test
  void rejectsNanInTruthNamingSampleAndPixel() {
    float[] t = filledFloats(12, 3000f);
    t[5] = Float.NaN;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VelocityMetrics.evaluate(tensor(Shape.of(2, 1, 2, 3), filledFloats(12, 3000f)), tensor(Shape.of(2, 1, 2, 3), t)));
    assertEquals("true velocity must be finite, but was NaN at sample 0, row 1, column 2", e.getMessage());
  }

  /** Normalized 2-D Gaussian weight at offset (di, dj), computed without separability. */
  private static double weight(int di, int dj) {
    double z = 0;
    for (int i = -5; i <= 5; i++) {
      for (int j = -5; j <= 5; j++) {
        z += Math.exp(-(i * i + j * j) / (2 * 1.5 * 1.5));
      }
    }
    return Math.exp(-(di * di + dj * dj) / (2 * 1.5 * 1.5)) / z;
  }

  /** Total window weight falling inside an h x w image when centred on (i, j). */
  private static double coverage(int i, int j, int h, int w) {
    double s = 0;
    for (int di = -5; di <= 5; di++) {
      for (int dj = -5; dj <= 5; dj++) {
        if (i + di >= 0 && i + di < h && j + dj >= 0 && j + dj < w) {
          s += weight(di, dj);
        }
      }
    }
    return s;
  }

  static FloatTensor tensor(Shape shape, float... values) {
    return new FloatTensor(shape, values);
  }

  static FloatTensor randomVelocities(int n, int h, int w, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[n * h * w];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextInt(1500, 4351); // whole m/s, so +150 stays exact in float
    }
    return new FloatTensor(Shape.of(n, 1, h, w), v);
  }

  private static double[] filled(int n, double value) {
    double[] d = new double[n];
    java.util.Arrays.fill(d, value);
    return d;
  }

  static float[] filledFloats(int n, float value) {
    float[] d = new float[n];
    java.util.Arrays.fill(d, value);
    return d;
  }
}
