package fwi.cloud.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import fwi.cloud.metrics.MetricsAccumulator;
import fwi.cloud.metrics.QualityMetrics;

/** Eval-mode pass over a sample set: the training loss and OpenFWI's metrics. */
final class Validation {
  record Outcome(double loss, QualityMetrics metrics, int samples) {
  }

  private Validation() {
  }

  /** {@code l1·mean|p − y| + mse·mean (p − y)²} as a scalar array. */
  static NDArray loss(NDArray pred, NDArray y, double l1, double mse) {
    NDArray diff = pred.sub(y);
    NDArray out = null;
    if (l1 > 0) {
      out = diff.abs().mean().mul((float) l1);
    }
    if (mse > 0) {
      NDArray sq = diff.square().mean().mul((float) mse);
      out = out == null ? sq : out.add(sq);
    }
    return out;
  }

  static Outcome run(TorchGraph g, NDManager root, SampleSet set, Targets targets, int batchSize, double l1, double mse) {
    MetricsAccumulator acc = new MetricsAccumulator();
    double lossSum = 0;
    int n = 0;
    for (int from = 0; from < set.count(); from += batchSize) {
      SampleSet.Batch batch = set.read(from, Math.min(set.count(), from + batchSize));
      if (batch.size() == 0) {
        continue;
      }
      try (NDManager step = root.newSubManager()) {
        NDArray x = Torch.array(step, batch.gatherTensor());
        NDArray y = Torch.array(step, targets.normalize(batch.velocityTensor()));
        NDArray pred = g.run(x, targets.output(), false, step);
        lossSum += loss(pred, y, l1, mse).getFloat() * batch.size();
        acc.add(targets.toMps(Torch.tensor(pred)), batch.velocityTensor());
        n += batch.size();
      }
    }
    if (n == 0) {
      throw new IllegalArgumentException("no validation sample could be read: every one holds NaN or infinite values");
    }
    return new Outcome(lossSum / n, acc.mean().orElseThrow(), n);
  }
}
