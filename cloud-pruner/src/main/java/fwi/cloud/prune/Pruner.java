package fwi.cloud.prune;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.ModelMetadata;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.ChannelGraph.ResolvedLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Structured channel pruning of ONNX models: removes whole channels from every coupled group the
 * plan names, keeping the channels the criterion ranks highest, and rewrites every weight axis in the
 * group so the result is a smaller, valid model computing the same function on the kept channels.
 * Nodes outside the groups (pre- and post-processing) are untouched. Stateless and thread-safe.
 */
public final class Pruner {
  private Pruner() {}

  /**
   * Prunes a model.
   *
   * @param modelSha256 sha256 of the serialized input model, recorded as the parent of the result
   * @param seed seed of {@link Criterion#RANDOM}; ignored by the other criteria
   * @throws IllegalArgumentException if the plan names an unknown or frozen group or keeps more
   *     channels than a group has
   * @throws fwi.cloud.graph.UnsupportedOperatorException if the graph holds an op the analysis does not know
   */
  public static PruneResult prune(ModelProto model, String modelSha256, PrunePlan plan, Criterion criterion, long seed)
      throws InvalidModelException {
    return prune(ChannelGraph.analyze(model), modelSha256, plan, criterion, seed, System.nanoTime());
  }

  /** Prunes an already analysed model (planners analyse first). */
  public static PruneResult prune(ChannelGraph cg, String modelSha256, PrunePlan plan, Criterion criterion, long seed)
      throws InvalidModelException {
    return prune(cg, modelSha256, plan, criterion, seed, System.nanoTime());
  }

  private static PruneResult prune(ChannelGraph cg, String modelSha256, PrunePlan plan, Criterion criterion,
      long seed, long t0) throws InvalidModelException {
    Map<Integer, int[]> kept = new HashMap<>();
    Map<String, int[]> channels = new LinkedHashMap<>();
    for (ChannelGroup g : cg.prunable()) {
      channels.put(g.name(), new int[] {g.channels(), g.channels()});
    }
    for (Map.Entry<String, Integer> e : plan.keep().entrySet()) {
      ChannelGroup g = cg.group(e.getKey()).orElseThrow(() -> new IllegalArgumentException("plan names group '"
          + e.getKey() + "', which this model does not have"));
      if (!g.prunable()) {
        throw new IllegalArgumentException("plan prunes group '" + g.name() + "', which cannot be pruned: "
            + g.frozenReason().orElse("it has a single channel"));
      }
      int keep = e.getValue();
      if (keep > g.channels()) {
        throw new IllegalArgumentException("plan keeps " + keep + " channels of group '" + g.name() + "', which has only "
            + g.channels());
      }
      if (keep < g.channels()) {
        kept.put(g.id(), strongest(Importance.scores(cg, g, criterion, seed), keep));
      }
      channels.put(g.name(), new int[] {g.channels(), keep});
    }
    ModelProto pruned = rewrite(cg, kept);
    ModelSummary before = ModelCounter.count(cg.model());
    ModelSummary after = ModelCounter.count(pruned);
    pruned = tag(pruned, cg.model(), modelSha256, plan, criterion, channels, before, after);
    return new PruneResult(pruned, before, after, channels, plan, criterion, System.nanoTime() - t0);
  }

  /**
   * Progressive pruning: reaches {@code plan}'s channel counts in {@code steps} equal steps of
   * removed channels, re-ranking channels on the current weights before each step. {@code between}
   * runs after every step but the last (fine-tuning, for instance) and returns the model the next step
   * starts from.
   *
   * @return one result per step; the last holds the model at {@code plan}'s counts
   */
  public static List<PruneResult> progressive(ModelProto model, String modelSha256, PrunePlan plan, Criterion criterion,
      long seed, int steps, UnaryOperator<ModelProto> between) throws InvalidModelException {
    if (steps < 1) {
      throw new IllegalArgumentException("progressive pruning needs at least 1 step, but was " + steps);
    }
    ChannelGraph base = ChannelGraph.analyze(model);
    Map<String, Integer> full = new LinkedHashMap<>();
    for (ChannelGroup g : base.prunable()) {
      full.put(g.name(), g.channels());
    }
    List<PruneResult> results = new ArrayList<>();
    ModelProto current = model;
    String sha = modelSha256;
    for (int s = 1; s <= steps; s++) {
      Map<String, Integer> keep = new LinkedHashMap<>();
      for (Map.Entry<String, Integer> e : plan.keep().entrySet()) {
        int c0 = base.group(e.getKey()).map(ChannelGroup::channels).orElse(e.getValue());
        keep.put(e.getKey(), c0 - (int) Math.round((c0 - e.getValue()) * (double) s / steps));
      }
      Map<String, String> settings = new LinkedHashMap<>(plan.settings());
      settings.put("step", s + "/" + steps);
      PruneResult r = prune(current, sha, new PrunePlan(plan.kind(), keep, settings), criterion, seed);
      results.add(r);
      current = r.model();
      if (s < steps) {
        current = between.apply(current);
        sha = OnnxModels.sha256(current.toByteArray());
      }
    }
    return results;
  }

  /** Indices of the {@code keep} highest scores, ascending; ties keep the lower index. */
  static int[] strongest(double[] scores, int keep) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
    int[] k = new int[keep];
    for (int i = 0; i < keep; i++) {
      k[i] = order[i];
    }
    Arrays.sort(k);
    return k;
  }

  /** Indices kept along an axis laid out as {@code l}, or null when the axis keeps everything. */
  private static int[] axisKeep(ResolvedLayout l, Map<Integer, int[]> kept) {
    if (!l.touches(kept.keySet())) {
      return null;
    }
    List<Integer> idx = new ArrayList<>();
    int offset = 0;
    for (Layout.Segment s : l.segments()) {
      int[] k = kept.get(s.group());
      if (k == null) {
        for (int i = 0; i < s.length() * s.repeat(); i++) {
          idx.add(offset + i);
        }
      } else {
        for (int c : k) {
          for (int r = 0; r < s.repeat(); r++) {
            idx.add(offset + c * s.repeat() + r);
          }
        }
      }
      offset += s.length() * s.repeat();
    }
    return idx.stream().mapToInt(Integer::intValue).toArray();
  }

  private static long keptTotal(ResolvedLayout l, Map<Integer, int[]> kept) {
    long t = 0;
    for (Layout.Segment s : l.segments()) {
      int[] k = kept.get(s.group());
      t += (long) (k == null ? s.length() : k.length) * s.repeat();
    }
    return t;
  }

  private static ModelProto rewrite(ChannelGraph cg, Map<Integer, int[]> kept) throws InvalidModelException {
    GraphProto g = cg.model().getGraph();
    GraphProto.Builder gb = g.toBuilder();
    Map<String, TensorProto> replaced = new HashMap<>();
    if (!kept.isEmpty()) {
      for (int i = 0; i < g.getInitializerCount(); i++) {
        TensorProto t = g.getInitializer(i);
        Map<Integer, ResolvedLayout> byAxis = cg.axes().get(t.getName());
        if (byAxis == null) {
          continue;
        }
        int[][] keep = new int[t.getDimsCount()][];
        boolean any = false;
        for (Map.Entry<Integer, ResolvedLayout> e : byAxis.entrySet()) {
          keep[e.getKey()] = axisKeep(e.getValue(), kept);
          any |= keep[e.getKey()] != null;
        }
        if (any) {
          TensorProto s = TensorSlicer.slice(t, keep);
          gb.setInitializer(i, s);
          replaced.put(t.getName(), s);
        }
      }
    }
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      ResolvedLayout l = cg.groupAttributes().get(OnnxGraph.nameOf(n));
      if (l != null && l.touches(kept.keySet())) {
        NodeProto.Builder nb = n.toBuilder().clearAttribute();
        for (AttributeProto a : n.getAttributeList()) {
          nb.addAttribute(a.getName().equals("group") ? a.toBuilder().setI(keptTotal(l, kept)).build() : a);
        }
        gb.setNode(i, nb);
      }
    }
    // Older IR versions list initializers among the inputs, with their shapes.
    for (int i = 0; i < g.getInputCount(); i++) {
      TensorProto t = replaced.get(g.getInput(i).getName());
      if (t != null) {
        ValueInfoProto.Builder v = g.getInput(i).toBuilder();
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        t.getDimsList().forEach(d -> shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d)));
        v.getTypeBuilder().getTensorTypeBuilder().setShape(shape);
        gb.setInput(i, v);
      }
    }
    // Shapes recorded for pruned intermediate tensors are stale: drop them, runtimes re-infer them.
    gb.clearValueInfo();
    for (ValueInfoProto v : g.getValueInfoList()) {
      ResolvedLayout l = cg.tensors().get(v.getName());
      if (l == null || !l.touches(kept.keySet())) {
        gb.addValueInfo(v);
      }
    }
    return cg.model().toBuilder().setGraph(gb).build();
  }

  private static ModelProto tag(ModelProto pruned, ModelProto input, String inputSha, PrunePlan plan,
      Criterion criterion, Map<String, int[]> channels, ModelSummary before, ModelSummary after) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode p = mapper.createObjectNode();
    p.put("kind", plan.kind());
    ObjectNode settings = p.putObject("settings");
    plan.settings().forEach(settings::put);
    ObjectNode ch = p.putObject("channels");
    channels.forEach((k, v) -> ch.putArray(k).add(v[0]).add(v[1]));
    String base = OnnxModels.metadata(input, PruneMetadata.BASE_SHA256).orElse(inputSha);
    ModelProto m = pruned;
    m = OnnxModels.withMetadata(m, ModelMetadata.PARENT_SHA256, inputSha);
    m = OnnxModels.withMetadata(m, PruneMetadata.BASE_SHA256, base);
    m = OnnxModels.withMetadata(m, PruneMetadata.PLAN, p.toString());
    m = OnnxModels.withMetadata(m, PruneMetadata.CRITERION, criterion.cliName());
    m = OnnxModels.withMetadata(m, PruneMetadata.PARAMS_BEFORE, Long.toString(before.params()));
    m = OnnxModels.withMetadata(m, PruneMetadata.PARAMS_AFTER, Long.toString(after.params()));
    m = OnnxModels.withMetadata(m, PruneMetadata.MACS_BEFORE, Long.toString(before.macs()));
    m = OnnxModels.withMetadata(m, PruneMetadata.MACS_AFTER, Long.toString(after.macs()));
    return m;
  }
}
