package fwi.cloud.prune;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import fwi.cloud.graph.LayerStats;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.prune.ChannelGraph.ResolvedLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The input and output channels of every weighted layer for a candidate plan, and the params and
 * MACs that follow exactly from them, without rewriting the model: planners try many candidates.
 * Immutable.
 */
final class LayerChannels {
  /** One weighted layer: how its channel counts follow from the groups' kept counts. */
  private record Layer(LayerStats stats, ResolvedLayout in, ResolvedLayout out, boolean depthwise, long weights) {}

  private final List<Layer> layers = new ArrayList<>();
  private final long otherParams;

  LayerChannels(ChannelGraph cg) throws InvalidModelException {
    ModelSummary s = ModelCounter.count(cg.model());
    Map<String, NodeProto> byName = new LinkedHashMap<>();
    cg.graph().nodes().forEach(n -> byName.put(OnnxGraph.nameOf(n), n));
    long covered = 0;
    for (LayerStats l : s.layers()) {
      NodeProto n = byName.get(l.name());
      if (n == null || l.op().equals("BatchNormalization")) {
        continue;
      }
      TensorProto w = cg.graph().initializer(n.getInput(1)).orElseThrow();
      Map<Integer, ResolvedLayout> axes = cg.axes().getOrDefault(w.getName(), Map.of());
      int producer;
      int reader;
      switch (l.op()) {
        case "ConvTranspose" -> {
          producer = 1;
          reader = 0;
        }
        case "Gemm" -> {
          boolean tb = OnnxGraph.intAttr(n, "transB", 0) == 1;
          producer = tb ? 0 : 1;
          reader = tb ? 1 : 0;
        }
        case "MatMul" -> {
          producer = 1;
          reader = 0;
        }
        default -> {
          producer = 0;
          reader = 1;
        }
      }
      boolean depthwise = cg.groupAttributes().containsKey(l.name());
      ResolvedLayout out = axes.get(depthwise ? 0 : producer);
      ResolvedLayout in = depthwise ? out : axes.get(reader);
      layers.add(new Layer(l, in, out, depthwise, OnnxGraph.elementCount(w)));
      covered += l.params();
    }
    otherParams = s.params() - covered;
  }

  private static long kept(ResolvedLayout l, long full, Map<Integer, Integer> keep) {
    if (l == null) {
      return full;
    }
    long t = 0;
    for (Layout.Segment s : l.segments()) {
      t += (long) keep.getOrDefault(s.group(), s.length()) * s.repeat();
    }
    return t;
  }

  /** Layer name -> {cin, cout} when each group keeps {@code keep.get(id)} channels (all when absent). */
  Map<String, int[]> channels(Map<Integer, Integer> keep) {
    Map<String, int[]> m = new LinkedHashMap<>();
    for (Layer l : layers) {
      m.put(l.stats().name(), new int[] {(int) kept(l.in(), l.stats().inChannels(), keep),
          (int) kept(l.out(), l.stats().outChannels(), keep)});
    }
    return m;
  }

  /** Multiply-accumulates per sample under {@code keep}. */
  long macs(Map<Integer, Integer> keep) {
    long total = 0;
    for (Layer l : layers) {
      double fin = kept(l.in(), l.stats().inChannels(), keep) / (double) l.stats().inChannels();
      double fout = kept(l.out(), l.stats().outChannels(), keep) / (double) l.stats().outChannels();
      total += Math.round(l.stats().macs() * (l.depthwise() ? fout : fin * fout));
    }
    return total;
  }

  /** Trainable parameters under {@code keep}: weights scale with cin·cout, bias and BatchNorm with cout. */
  long params(Map<Integer, Integer> keep) {
    long total = otherParams;
    for (Layer l : layers) {
      double fin = kept(l.in(), l.stats().inChannels(), keep) / (double) l.stats().inChannels();
      long cout = kept(l.out(), l.stats().outChannels(), keep);
      double fout = cout / (double) l.stats().outChannels();
      long perChannel = (l.stats().params() - l.weights()) / l.stats().outChannels();
      total += Math.round(l.weights() * (l.depthwise() ? fout : fin * fout)) + perChannel * cout;
    }
    return total;
  }
}
