package fwi.cloud.train;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import fwi.cloud.graph.OnnxGraph;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fresh weights for an architecture, as PyTorch initializes its layers: Conv, ConvTranspose and
 * Linear weights and biases uniform in ±1/sqrt(fan_in) (what {@code kaiming_uniform_(a=√5)}
 * reduces to; fan_in from weight axis 1 times the kernel size, which for ConvTranspose is
 * C_out/group — PyTorch's own convention); BatchNorm scale 1, shift 0, running mean 0, variance 1.
 * Used to retrain a pruned architecture from scratch and to train a model pruned at
 * initialization. Everything else in the model is kept.
 */
public final class Initialization {
  private Initialization() {
  }

  /** The model with every layer re-initialized from {@code seed}; the same seed gives the same bytes. */
  public static ModelProto reinitialize(ModelProto model, long seed) {
    GraphProto g = model.getGraph();
    Map<String, float[]> fresh = new HashMap<>();
    Map<String, TensorProto> inits = new HashMap<>();
    g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
    SplittableRandom r = new SplittableRandom(seed);
    for (NodeProto n : g.getNodeList()) {
      switch (n.getOpType()) {
        case "Conv", "ConvTranspose", "Gemm", "MatMul" -> {
          TensorProto w = inits.get(n.getInput(1));
          if (w == null || w.getDimsCount() < 2) {
            continue;
          }
          long fanIn = fanIn(n, w);
          double bound = 1.0 / Math.sqrt(fanIn);
          fresh.put(w.getName(), uniform(r, (int) OnnxGraph.elementCount(w), bound));
          if (n.getInputCount() > 2 && inits.containsKey(n.getInput(2))) {
            TensorProto b = inits.get(n.getInput(2));
            fresh.put(b.getName(), uniform(r, (int) OnnxGraph.elementCount(b), bound));
          }
        }
        case "BatchNormalization" -> {
          float[] fill = {1f, 0f, 0f, 1f};
          for (int i = 1; i <= 4; i++) {
            TensorProto t = inits.get(n.getInput(i));
            if (t != null) {
              float[] v = new float[(int) OnnxGraph.elementCount(t)];
              java.util.Arrays.fill(v, fill[i - 1]);
              fresh.put(t.getName(), v);
            }
          }
        }
        default -> {
        }
      }
    }
    GraphProto.Builder b = g.toBuilder();
    for (int i = 0; i < b.getInitializerCount(); i++) {
      float[] v = fresh.get(b.getInitializer(i).getName());
      if (v != null) {
        b.setInitializer(i, TorchGraph.floatTensor(b.getInitializer(i), v));
      }
    }
    return model.toBuilder().setGraph(b).build();
  }

  private static long fanIn(NodeProto n, TensorProto w) {
    long kernel = 1;
    for (int d = 2; d < w.getDimsCount(); d++) {
      kernel *= w.getDims(d);
    }
    return switch (n.getOpType()) {
      // Linear weights: Gemm with transB holds [out, in]; MatMul and plain Gemm hold [in, out].
      case "Gemm" -> OnnxGraph.intAttr(n, "transB", 0) == 1 ? w.getDims(1) : w.getDims(0);
      case "MatMul" -> w.getDims(0);
      default -> w.getDims(1) * kernel;
    };
  }

  private static float[] uniform(SplittableRandom r, int n, double bound) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
    }
    return v;
  }
}
