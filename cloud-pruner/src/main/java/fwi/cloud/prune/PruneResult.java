package fwi.cloud.prune;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.ModelSummary;
import java.util.Map;

/**
 * A pruned model and what pruning did.
 *
 * @param model the pruned model, metadata included
 * @param before size and cost of the input model
 * @param after size and cost of the pruned model
 * @param channels group name -> {channels before, channels after}, for every prunable group
 * @param plan the plan applied
 * @param criterion how channels were ranked
 * @param pruneNanos wall time of analysis, ranking and rewriting (not parsing or serializing)
 */
public record PruneResult(ModelProto model, ModelSummary before, ModelSummary after, Map<String, int[]> channels,
    PrunePlan plan, Criterion criterion, long pruneNanos) {
  public PruneResult {
    channels = Map.copyOf(channels);
  }

  public double paramsReduction() {
    return 1 - (double) after.params() / before.params();
  }

  public double macsReduction() {
    return 1 - (double) after.macs() / before.macs();
  }
}
