package fwi.cloud.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InvalidModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * InversionNet written straight against DJL, for measuring what {@link TorchGraph}'s generic
 * interpretation costs: every layer's settings are read once into a closure, and a forward pass
 * is a fixed chain of libtorch calls, with no per-node lookups, attribute parsing or environment
 * map. It calls the same kernels as the executor (libtorch convolution, {@link TransposedConv},
 * batch norm), so the difference between the two is the executor's own overhead.
 *
 * <p>Only the builder's InversionNet pattern is accepted (pre-processing, then Conv/ConvTranspose
 * → BatchNormalization → LeakyRelu/Tanh blocks and one crop); it shares the weight arrays of a
 * loaded {@link TorchGraph}, so the optimizer can train either. Not thread-safe.
 */
public final class DirectInversionNet {
  private final List<UnaryOperator<NDArray>> chain = new ArrayList<>();
  private final NDArray preScale;
  private final NDArray preShift;

  /**
   * @throws InvalidModelException if the graph is not the builder's InversionNet pattern
   */
  public DirectInversionNet(ModelProto model, TorchGraph weights, String coreOutput) throws InvalidModelException {
    List<NodeProto> nodes = model.getGraph().getNodeList();
    java.util.Map<String, NDArray> w = new java.util.HashMap<>();
    weights.roles().keySet().forEach(n -> w.put(n, weights.array(n)));
    preScale = w.get("pre.scale");
    preShift = w.get("pre.shift");
    if (preScale == null || preShift == null) {
      throw new InvalidModelException("not the builder's InversionNet: no pre.scale/pre.shift constants");
    }
    boolean started = false;
    for (NodeProto n : nodes) {
      String op = n.getOpType();
      if (!started) {
        started = op.equals("Conv");
        if (!started) {
          continue;
        }
      }
      switch (op) {
        case "Conv" -> {
          NDArray wt = w.get(n.getInput(1));
          NDArray b = w.get(n.getInput(2));
          Shape stride = new Shape(OnnxGraph.ints(n, "strides", new long[] {1, 1}));
          long[] p = OnnxGraph.ints(n, "pads", new long[4]);
          Shape pad = new Shape(p[0], p[1]);
          Shape dil = new Shape(1, 1);
          chain.add(x -> x.getNDArrayInternal().convolution(x, wt, b, stride, pad, dil, 1).singletonOrThrow());
        }
        case "ConvTranspose" -> {
          NDArray wt = w.get(n.getInput(1));
          NDArray b = w.get(n.getInput(2));
          long[] s = OnnxGraph.ints(n, "strides", new long[] {1, 1});
          long[] p = OnnxGraph.ints(n, "pads", new long[4]);
          long[] crop = {-p[0], -p[1], -p[2], -p[3]};
          long[] dil = {1, 1};
          chain.add(x -> Padding.apply(TransposedConv.full(x, wt, s, dil, 1), crop, 0).add(b.reshape(-1, 1, 1)));
        }
        case "BatchNormalization" -> {
          NDArray gamma = w.get(n.getInput(1));
          NDArray beta = w.get(n.getInput(2));
          NDArray mean = w.get(n.getInput(3));
          NDArray var = w.get(n.getInput(4));
          float momentum = OnnxGraph.attribute(n, "momentum").map(a -> a.getF()).orElse(0.9f);
          float eps = OnnxGraph.attribute(n, "epsilon").map(a -> a.getF()).orElse(1e-5f);
          chain.add(x -> x.getNDArrayInternal().batchNorm(x, mean, var, gamma, beta, 1, momentum, eps, true)
              .singletonOrThrow());
        }
        case "LeakyRelu" -> {
          float alpha = OnnxGraph.attribute(n, "alpha").map(a -> a.getF()).orElse(0.01f);
          chain.add(x -> Activation.leakyRelu(x, alpha));
        }
        case "Tanh" -> chain.add(NDArray::tanh);
        case "Slice", "Pad" -> chain.add(x -> Padding.apply(x, new long[] {-5, -5, -5, -5}, 0));
        default -> throw new InvalidModelException("not the builder's InversionNet: unexpected " + op + " node '"
            + OnnxGraph.nameOf(n) + "' in the core");
      }
      if (n.getOutput(0).equals(coreOutput)) {
        break;
      }
    }
  }

  /** Training-mode forward pass to the normalized output; intermediates go to {@code step}. */
  public NDArray forward(NDArray raw, NDManager step) {
    NDArray a = raw.abs().add(1f).log().mul(raw.sign()).mul(preScale).add(preShift);
    for (UnaryOperator<NDArray> f : chain) {
      a = f.apply(a);
      a.attach(step);
    }
    return a;
  }
}
