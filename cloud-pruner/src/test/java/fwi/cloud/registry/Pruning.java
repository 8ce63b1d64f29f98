package fwi.cloud.registry;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.ChannelGraph;
import fwi.cloud.prune.Criterion;
import fwi.cloud.prune.Plans;
import fwi.cloud.prune.Pruner;

/** Pruned models for the registry tests, made by the real pruner. */
final class Pruning {
  private Pruning() {
  }

  /** {@code base} with {@code ratio} of every prunable group's channels removed (L1), carrying fwi.prune.* metadata. */
  static ModelProto uniform(byte[] base, double ratio) throws Exception {
    ModelProto m = OnnxModels.parse(base, "base");
    return Pruner.prune(m, OnnxModels.sha256(base), Plans.uniform(ChannelGraph.analyze(m), ratio, 1), Criterion.L1, 0)
        .model();
  }
}
