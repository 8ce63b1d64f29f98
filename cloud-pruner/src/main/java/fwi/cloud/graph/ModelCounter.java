package fwi.cloud.graph;

import static fwi.cloud.graph.OnnxGraph.elementCount;
import static fwi.cloud.graph.OnnxGraph.intAttr;
import static fwi.cloud.graph.OnnxGraph.nameOf;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.model.InvalidModelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts parameters and multiply-accumulates per layer and in total, for any graph that
 * {@link ShapeInference} understands (built, pruned or exported by PyTorch). Stateless.
 *
 * <p>MACs count Conv, ConvTranspose, Gemm and MatMul only (the convention of inversionnet.md);
 * BatchNorm and activations are elementwise and left out.
 */
public final class ModelCounter {
  private ModelCounter() {}

  /**
   * Summarizes a model.
   *
   * @throws UnsupportedOperatorException if the graph contains an op outside the family
   * @throws InvalidModelException if its shapes contradict each other
   */
  public static ModelSummary count(ModelProto model) throws InvalidModelException {
    OnnxGraph g = new OnnxGraph(model);
    Map<String, long[]> shapes = ShapeInference.infer(g, 1);
    List<LayerStats> layers = new ArrayList<>();
    Set<NodeProto> attachedNorms = new HashSet<>();
    for (NodeProto n : g.nodes()) {
      switch (n.getOpType()) {
        case "Conv", "ConvTranspose", "Gemm", "MatMul" -> {
          if (!g.isInitializer(n.getInput(1))) {
            continue; // activation x activation products carry no weights; not a layer
          }
          NodeProto bn = followingNorm(g, n);
          if (bn != null) {
            attachedNorms.add(bn);
          }
          layers.add(weighted(g, n, bn, shapes));
        }
        case "BatchNormalization" -> {
          if (!attachedNorms.contains(n)) {
            long c = shapes.get(n.getOutput(0))[1];
            layers.add(new LayerStats(nameOf(n), "BatchNormalization", c, c, new long[0], new long[0],
                perSample(shapes.get(n.getOutput(0))), normParams(g, n), normBuffers(g, n), 0));
          }
        }
        default -> { }
      }
    }
    long params = layers.stream().mapToLong(LayerStats::params).sum();
    long buffers = layers.stream().mapToLong(LayerStats::buffers).sum();
    long macs = layers.stream().mapToLong(LayerStats::macs).sum();
    String in = graphInput(g);
    String out = model.getGraph().getOutput(0).getName();
    return new ModelSummary(layers, params, buffers, macs, g.opset(), perSample(shapes.get(in)),
        perSample(shapes.get(out)));
  }

  private static String graphInput(OnnxGraph g) throws InvalidModelException {
    return g.model().getGraph().getInputList().stream().map(v -> v.getName()).filter(n -> !g.isInitializer(n))
        .findFirst().orElseThrow(() -> new InvalidModelException("model has no graph input"));
  }

  /** The BatchNormalization that is the sole consumer of {@code n}'s output, with constant statistics. */
  private static NodeProto followingNorm(OnnxGraph g, NodeProto n) {
    List<NodeProto> next = g.consumers(n.getOutput(0));
    if (next.size() == 1 && next.get(0).getOpType().equals("BatchNormalization")
        && next.get(0).getInput(0).equals(n.getOutput(0))) {
      return next.get(0);
    }
    return null;
  }

  private static LayerStats weighted(OnnxGraph g, NodeProto n, NodeProto bn, Map<String, long[]> shapes)
      throws InvalidModelException {
    long[] x = shapes.get(n.getInput(0));
    long[] w = shapes.get(n.getInput(1));
    long[] y = shapes.get(n.getOutput(0));
    long params = 0;
    for (int i = 1; i < n.getInputCount(); i++) {
      String name = n.getInput(i);
      if (!name.isEmpty() && g.isInitializer(name)) {
        params += elementCount(g.initializer(name).orElseThrow());
      }
    }
    long buffers = 0;
    if (bn != null) {
      params += normParams(g, bn);
      buffers += normBuffers(g, bn);
    }
    String op = n.getOpType();
    long[] kernel = new long[0];
    long[] stride = new long[0];
    long in;
    long out;
    long macs;
    switch (op) {
      case "Conv" -> {
        kernel = Arrays.copyOfRange(w, 2, w.length);
        stride = OnnxGraph.ints(n, "strides", ones(kernel.length));
        in = x[1];
        out = y[1];
        // Every output element takes C_in/group · prod(kernel) products; w[1] is C_in/group.
        macs = product(Arrays.copyOfRange(y, 1, y.length)) * product(Arrays.copyOfRange(w, 1, w.length));
      }
      case "ConvTranspose" -> {
        kernel = Arrays.copyOfRange(w, 2, w.length);
        stride = OnnxGraph.ints(n, "strides", ones(kernel.length));
        in = x[1];
        out = y[1];
        // Every input element is scattered into C_out/group · prod(kernel) outputs; w[1] is C_out/group.
        macs = product(Arrays.copyOfRange(x, 1, x.length)) * product(Arrays.copyOfRange(w, 1, w.length));
      }
      case "Gemm" -> {
        boolean tb = intAttr(n, "transB", 0) == 1;
        in = tb ? w[1] : w[0];
        out = tb ? w[0] : w[1];
        macs = in * out;
      }
      default -> { // MatMul with constant right operand
        in = w[w.length - 2];
        out = w[w.length - 1];
        macs = product(y) / y[0] * in;
      }
    }
    String display = nameOf(n);
    return new LayerStats(display, op, in, out, kernel, stride, perSample(bn != null ? shapes.get(bn.getOutput(0)) : y),
        params, buffers, macs);
  }

  private static long normParams(OnnxGraph g, NodeProto bn) {
    return sizeIfInitializer(g, bn, 1) + sizeIfInitializer(g, bn, 2);
  }

  private static long normBuffers(OnnxGraph g, NodeProto bn) {
    return sizeIfInitializer(g, bn, 3) + sizeIfInitializer(g, bn, 4);
  }

  private static long sizeIfInitializer(OnnxGraph g, NodeProto n, int i) {
    return i < n.getInputCount() ? g.initializer(n.getInput(i)).map(OnnxGraph::elementCount).orElse(0L) : 0;
  }

  private static long[] perSample(long[] shape) {
    return Arrays.copyOfRange(shape, 1, shape.length);
  }

  private static long product(long[] s) {
    long p = 1;
    for (long d : s) {
      p *= d;
    }
    return p;
  }

  private static long[] ones(int n) {
    long[] a = new long[n];
    Arrays.fill(a, 1);
    return a;
  }
}
