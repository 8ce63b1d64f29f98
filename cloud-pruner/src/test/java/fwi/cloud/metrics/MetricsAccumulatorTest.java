package fwi.cloud.metrics;

import static fwi.cloud.metrics.VelocityMetricsTest.filledFloats;
import static fwi.cloud.metrics.VelocityMetricsTest.randomVelocities;
import static fwi.cloud.metrics.VelocityMetricsTest.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MetricsAccumulatorTest {

  @Test
  void emptyAccumulatorHasNoMean() {
    MetricsAccumulator acc = new MetricsAccumulator();
    assertEquals(Optional.empty(), acc.mean());
    assertEquals(0, acc.samples());
  }

  @Test
  void rmseIsOverAllPixelsAcrossBatchesNotTheMeanOfBatchRmses() {
    MetricsAccumulator acc = new MetricsAccumulator();
    QualityMetrics first = acc.add(tensor(Shape.of(1, 1, 2, 2), 4500, 2250, 3000, 3300),
        tensor(Shape.of(1, 1, 2, 2), 3000, 3000, 3000, 3000));
    QualityMetrics second = acc.add(tensor(Shape.of(1, 1, 2, 2), filledFloats(4, 2000f)),
        tensor(Shape.of(1, 1, 2, 2), filledFloats(4, 2000f)));
    assertEquals(Math.sqrt(1.29 / 4), first.rmseNorm(), 1e-12);
    assertEquals(0.0, second.rmseNorm(), 0.0);

    QualityMetrics mean = acc.mean().orElseThrow();
    assertEquals(2, mean.samples());
    assertEquals(1.7 / 8, mean.maeNorm(), 1e-12);
    assertEquals(Math.sqrt(1.29 / 8), mean.rmseNorm(), 1e-12);
    assertEquals(1500 * Math.sqrt(1.29 / 8), mean.rmseMps(), 1e-9);
    assertEquals(1500 * 1.7 / 8, mean.maeMps(), 1e-9);
  }

  @Test
  void ssimIsAveragedPerSampleNotPerBatch() {
    FloatTensor truth = randomVelocities(3, 16, 16, 7);
    FloatTensor predicted = randomVelocities(3, 16, 16, 8);
    MetricsAccumulator acc = new MetricsAccumulator();
    acc.add(slice(predicted, 0, 1), slice(truth, 0, 1));
    acc.add(slice(predicted, 1, 3), slice(truth, 1, 3));

    var each = VelocityMetrics.evaluatePerSample(predicted, truth);
    double expected = (each.get(0).ssim() + each.get(1).ssim() + each.get(2).ssim()) / 3;
    assertEquals(expected, acc.mean().orElseThrow().ssim(), 1e-12);
    assertEquals(3, acc.samples());
  }

  @Test
  void meanOfBatchesEqualsEvaluatingAllSamplesAtOnce() {
    FloatTensor truth = randomVelocities(4, 70, 70, 9);
    FloatTensor predicted = randomVelocities(4, 70, 70, 10);
    MetricsAccumulator acc = new MetricsAccumulator();
    acc.add(slice(predicted, 0, 3), slice(truth, 0, 3));
    acc.add(slice(predicted, 3, 4), slice(truth, 3, 4));
    assertEquals(VelocityMetrics.evaluate(predicted, truth), acc.mean().orElseThrow());
  }

  @Test
  void rejectedBatchLeavesTheAccumulatorUnchanged() {
    MetricsAccumulator acc = new MetricsAccumulator();
    FloatTensor ok = randomVelocities(1, 8, 8, 11);
    acc.add(ok, ok);
    float[] bad = ok.data().clone();
    bad[3] = Float.POSITIVE_INFINITY;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> acc.add(new FloatTensor(ok.shape(), bad), ok));
    assertEquals("predicted velocity must be finite, but was Infinity at sample 0, row 0, column 3", e.getMessage());
    assertEquals(1, acc.samples());
    assertTrue(acc.mean().orElseThrow().ssim() > 0.999999);
  }

  /** Samples [from, to) as a new batch. */
  private static FloatTensor slice(FloatTensor t, int from, int to) {
    int per = t.shape().elementCount() / t.shape().dim(0);
    float[] d = new float[(to - from) * per];
    System.arraycopy(t.data(), from * per, d, 0, d.length);
    return new FloatTensor(t.shape().withBatch(to - from), d);
  }
}
