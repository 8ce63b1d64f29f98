package fwi.cloud.train;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.metrics.MetricsAccumulator;
import fwi.cloud.metrics.QualityMetrics;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelLoadException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;

/**
 * Quality of a model as it will be deployed: ONNX Runtime runs the whole graph (raw gathers in,
 * m/s out) over a sample set, and OpenFWI's metrics compare it with the true maps. The loss is the
 * training loss rebuilt from the metrics: {@code l1·MAE + mse·RMSE²} (both per pixel, normalized).
 */
public final class Evaluator {
  /**
   * @param loss {@code l1·MAE + mse·RMSE²} on normalized velocity
   * @param seconds wall time of the pass
   */
  public record Evaluation(QualityMetrics metrics, double loss, int samples, int skipped, double seconds) {
  }

  private Evaluator() {
  }

  /**
   * @throws IllegalArgumentException if no sample can be read (all hold NaN)
   */
  public static Evaluation evaluate(ModelProto model, SampleSet set, int batchSize, int threads, double l1, double mse)
      throws ModelLoadException, InferenceException {
    long t0 = System.nanoTime();
    MetricsAccumulator acc = new MetricsAccumulator();
    int skipped = 0;
    try (ModelRunner runner = ModelRunner.open(model.toByteArray(), new RunnerOptions(threads), "model under evaluation")) {
      for (int from = 0; from < set.count(); from += batchSize) {
        SampleSet.Batch b = set.read(from, Math.min(set.count(), from + batchSize));
        skipped += b.skipped().size();
        if (b.size() > 0) {
          acc.add(runner.run(b.gatherTensor()), b.velocityTensor());
        }
      }
    }
    QualityMetrics m = acc.mean().orElseThrow(() -> new IllegalArgumentException(
        "no sample could be evaluated: all " + set.count() + " hold NaN or infinite values"));
    return new Evaluation(m, l1 * m.maeNorm() + mse * m.rmseNorm() * m.rmseNorm(), acc.samples(), skipped,
        (System.nanoTime() - t0) / 1e9);
  }
}
