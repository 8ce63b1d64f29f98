package fwi.cloud.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fwi.cloud.model.InvalidModelException;
import fwi.proto.v1.LayerPruning;
import fwi.proto.v1.PruneMethod;
import fwi.proto.v1.PrunePlanSummary;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * The manifest's {@link PrunePlanSummary} from a pruned file's {@code fwi.prune.*} metadata,
 * merged with what the caller knows (the job). The metadata records the last pruning step only:
 * after progressive pruning in several steps its channel counts start from the previous step, so
 * the caller's summary (from the job) is the one to trust for the overall ratio.
 */
final class PlanSummaries {
  /** Written by the compressor: {@code finetune}, {@code retrain} or {@code prune-at-init}. */
  static final String TRAIN_METHOD = "fwi.train.method";
  private static final ObjectMapper JSON = new ObjectMapper();

  private PlanSummaries() {
  }

  /**
   * The summary for a model: derived from its metadata (if pruned), with the set fields of
   * {@code given} on top (its layers replace the derived ones when it has any).
   */
  static Optional<PrunePlanSummary> summary(ModelDescription d, Optional<PrunePlanSummary> given, String source)
      throws InvalidModelException {
    Optional<PrunePlanSummary> derived = derive(d, source);
    if (derived.isEmpty()) {
      return given;
    }
    if (given.isEmpty()) {
      return derived;
    }
    PrunePlanSummary.Builder b = derived.get().toBuilder();
    if (given.get().getLayersCount() > 0) {
      b.clearLayers();
    }
    // proto3 merge: scalars of `given` replace ours only where set (non-default), lists append.
    return Optional.of(b.mergeFrom(given.get()).build());
  }

  static Optional<PrunePlanSummary> derive(ModelDescription d, String source) throws InvalidModelException {
    if (d.prune().isEmpty()) {
      return Optional.empty();
    }
    ModelDescription.PruneInfo p = d.prune().get();
    JsonNode plan;
    try {
      plan = JSON.readTree(p.planJson());
    } catch (JsonProcessingException e) {
      throw new InvalidModelException(source + ": metadata fwi.prune.plan must be JSON, but was '"
          + abbreviate(p.planJson()) + "': " + e.getOriginalMessage(), e);
    }
    PrunePlanSummary.Builder b = PrunePlanSummary.newBuilder();
    String trainMethod = d.metadata().getOrDefault(TRAIN_METHOD, "");
    b.setMethod(method(plan.path("kind").asText(""), p.criterion(), trainMethod));
    b.setRetrained(trainMethod.equals("retrain"));
    long before = 0;
    long after = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = plan.path("channels").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode c = e.getValue();
      if (!c.isArray() || c.size() != 2 || !c.get(0).canConvertToInt() || !c.get(1).canConvertToInt()
          || c.get(0).asInt() < c.get(1).asInt() || c.get(1).asInt() < 0) {
        throw new InvalidModelException(source + ": fwi.prune.plan channels of '" + e.getKey()
            + "' must be [before, after] with before >= after >= 0, but were " + c);
      }
      b.addLayers(LayerPruning.newBuilder().setLayerName(e.getKey()).setChannelCountBefore(c.get(0).asInt())
          .setChannelCountAfter(c.get(1).asInt()));
      before += c.get(0).asInt();
      after += c.get(1).asInt();
    }
    b.setChannelRatio(before == 0 ? 0 : 1 - (double) after / before);
    return Optional.of(b.build());
  }

  private static PruneMethod method(String kind, String criterion, String trainMethod) {
    if (trainMethod.equals("prune-at-init")) {
      return PruneMethod.PRUNE_METHOD_PRUNE_AT_INIT;
    }
    return switch (kind) {
      case "uniform" -> criterion.equals("l1") ? PruneMethod.PRUNE_METHOD_UNIFORM_L1 : PruneMethod.PRUNE_METHOD_UNSPECIFIED;
      case "sensitivity" -> PruneMethod.PRUNE_METHOD_SENSITIVITY;
      case "latency" -> PruneMethod.PRUNE_METHOD_LATENCY;
      default -> PruneMethod.PRUNE_METHOD_UNSPECIFIED;
    };
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
