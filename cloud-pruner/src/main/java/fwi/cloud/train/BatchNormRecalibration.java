package fwi.cloud.train;

import ai.djl.ndarray.NDManager;
import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.model.InvalidModelException;

/**
 * Re-estimates BatchNormalization running statistics after pruning. Removing a layer's input
 * channels changes the distribution of its output, so the running mean and variance the unpruned
 * network learned no longer fit, and the pruned model is far worse in eval mode than its weights
 * deserve until training has moved them. Forward passes in training mode, without gradients and
 * without touching any weight, replace them with the pruned network's own statistics (each pass
 * moves them by the node's momentum, 0.1 for InversionNet: after 30 batches 96 % new).
 */
public final class BatchNormRecalibration {
  private BatchNormRecalibration() {
  }

  /**
   * @param batches training-mode forward passes over the first samples of a seeded shuffle
   * @return the model with new running statistics; every weight unchanged
   */
  public static ModelProto run(ModelProto model, SampleSet set, int batchSize, int batches, int threads, long seed)
      throws InvalidModelException {
    Targets targets = Targets.of(model);
    int[] order = set.order(seed, 0);
    try (NDManager root = Torch.manager(threads); Torch.NoGrad noGrad = Torch.noGrad(); TorchGraph g = TorchGraph.load(model, root)) {
      for (int b = 0; b < batches; b++) {
        int from = (b * batchSize) % set.count();
        SampleSet.Batch batch = set.read(order, from, Math.min(set.count(), from + batchSize));
        if (batch.size() < 2) {
          continue;
        }
        try (NDManager step = root.newSubManager()) {
          g.run(Torch.array(step, batch.gatherTensor()), targets.output(), true, step);
        }
      }
      return g.export();
    }
  }
}
