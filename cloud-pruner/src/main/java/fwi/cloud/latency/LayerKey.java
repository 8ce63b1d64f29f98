package fwi.cloud.latency;

import static fwi.cloud.graph.OnnxGraph.intAttr;
import static fwi.cloud.graph.OnnxGraph.ints;
import static fwi.cloud.graph.OnnxGraph.nameOf;
import static fwi.cloud.graph.OnnxGraph.stringAttr;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.graph.ShapeInference;
import fwi.cloud.graph.UnsupportedOperatorException;
import fwi.cloud.model.InvalidModelException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything that decides the latency of one weighted 2-D layer (a Conv or ConvTranspose whose
 * weight is an initializer) except its channel counts, which pruning changes: the geometry, the
 * spatial sizes at batch 1, the full (unpruned) channel counts, and the elementwise chain that
 * follows it (ONNX Runtime fuses BatchNormalization and some activations into the convolution, so
 * they are timed with it).
 *
 * <p>Input {@code [1, inChannels, inHeight, inWidth]}, output {@code [1, outChannels, outHeight, outWidth]}.
 * Explicit pads are stored (auto_pad is resolved); a ConvTranspose's output_padding is implied by
 * the stored output size. Depthwise layers ({@code group == inChannels == outChannels > 1}) keep
 * that property when pruned: input, output and group shrink together. Immutable.
 *
 * @param name node name
 * @param op {@code Conv} or {@code ConvTranspose}
 * @param kernel {@code [kH, kW]}
 * @param strides {@code [sH, sW]}
 * @param pads {@code [top, left, bottom, right]}, ONNX order
 * @param dilations {@code [dH, dW]}
 * @param group ONNX group attribute at full width
 * @param chain op types of the nodes that follow as sole consumers, in order, for example
 *     {@code [BatchNormalization, LeakyRelu]}; only {@link #CHAIN_OPS}
 */
public record LayerKey(String name, String op, List<Integer> kernel, List<Integer> strides, List<Integer> pads,
    List<Integer> dilations, int group, int inHeight, int inWidth, int outHeight, int outWidth, int inChannels,
    int outChannels, List<String> chain) {

  /** Ops that may appear in {@link #chain()}: BatchNormalization and one-input activations. */
  public static final Set<String> CHAIN_OPS = Set.of("BatchNormalization", "Relu", "LeakyRelu", "Tanh", "Sigmoid",
      "Elu", "Selu", "HardSigmoid", "HardSwish", "Softplus", "Softsign");

  public LayerKey {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("layer name must not be blank, but was '" + name + "'");
    }
    if (!"Conv".equals(op) && !"ConvTranspose".equals(op)) {
      throw new IllegalArgumentException("layer '" + name + "': op must be Conv or ConvTranspose, but was " + op);
    }
    kernel = positive(name, "kernel", kernel, 2, 1);
    strides = positive(name, "strides", strides, 2, 1);
    pads = positive(name, "pads", pads, 4, 0);
    dilations = positive(name, "dilations", dilations, 2, 1);
    List<Integer> sizes = positive(name, "spatial sizes (inHeight, inWidth, outHeight, outWidth)",
        Arrays.asList(inHeight, inWidth, outHeight, outWidth), 4, 1);
    if (inChannels < 1 || outChannels < 1 || group < 1) {
      throw new IllegalArgumentException("layer '" + name + "': inChannels, outChannels and group must be at least 1, "
          + "but were " + inChannels + ", " + outChannels + ", " + group);
    }
    if (inChannels % group != 0 || outChannels % group != 0) {
      throw new IllegalArgumentException("layer '" + name + "': group " + group + " must divide inChannels "
          + inChannels + " and outChannels " + outChannels);
    }
    chain = List.copyOf(chain);
    for (String c : chain) {
      if (!CHAIN_OPS.contains(c)) {
        throw new IllegalArgumentException("layer '" + name + "': chain op must be one of " + CHAIN_OPS.stream().sorted()
            .toList() + ", but was " + c);
      }
    }
    for (int axis = 0; axis < 2; axis++) {
      int in = sizes.get(axis);
      int out = sizes.get(axis + 2);
      int eff = dilations.get(axis) * (kernel.get(axis) - 1) + 1;
      int padSum = pads.get(axis) + pads.get(axis + 2);
      if (op.equals("Conv")) {
        int expected = Math.floorDiv(in + padSum - eff, strides.get(axis)) + 1;
        if (expected != out) {
          throw new IllegalArgumentException("layer '" + name + "': Conv geometry gives output size " + expected
              + " on axis " + axis + " for input size " + in + ", but the output size was " + out);
        }
      } else {
        int extra = out - (strides.get(axis) * (in - 1) + eff - padSum);
        if (extra < 0 || extra >= Math.max(strides.get(axis), dilations.get(axis))) {
          throw new IllegalArgumentException("layer '" + name + "': ConvTranspose output size " + out + " on axis "
              + axis + " needs output_padding " + extra + ", which must be in [0, max(stride, dilation))");
        }
      }
    }
  }

  private static List<Integer> positive(String layer, String what, List<Integer> values, int size, int min) {
    if (values == null || values.size() != size || values.stream().anyMatch(v -> v == null || v < min)) {
      throw new IllegalArgumentException("layer '" + layer + "': " + what + " must be " + size + " values of at least "
          + min + ", but was " + values);
    }
    return List.copyOf(values);
  }

  /** Whether input, output and group are one count that pruning shrinks together. */
  public boolean depthwise() {
    return group > 1 && group == inChannels && group == outChannels;
  }

  /** ConvTranspose output_padding implied by the output size, {@code [0, 0]} for Conv. */
  public List<Integer> outputPadding() {
    if (op.equals("Conv")) {
      return List.of(0, 0);
    }
    int[] in = {inHeight, inWidth};
    int[] out = {outHeight, outWidth};
    Integer[] p = new Integer[2];
    for (int a = 0; a < 2; a++) {
      int eff = dilations.get(a) * (kernel.get(a) - 1) + 1;
      p[a] = out[a] - (strides.get(a) * (in[a] - 1) + eff - pads.get(a) - pads.get(a + 2));
    }
    return List.of(p);
  }

  /** The group attribute at the given width: follows the channels for a depthwise layer, fixed otherwise. */
  public int groupAt(int cin, int cout) {
    checkChannels(cin, cout);
    return depthwise() ? cin : group;
  }

  /**
   * Checks that {@code (cin, cout)} is a width this layer can be pruned to.
   *
   * @throws IllegalArgumentException naming the layer and the bad count
   */
  public void checkChannels(int cin, int cout) {
    if (cin < 1 || cin > inChannels || cout < 1 || cout > outChannels) {
      throw new IllegalArgumentException("layer '" + name + "': channels must be in [1, " + inChannels + "] x [1, "
          + outChannels + "], but were " + cin + " -> " + cout);
    }
    if (depthwise() && cin != cout) {
      throw new IllegalArgumentException("layer '" + name + "' is depthwise: input and output channels must be equal, "
          + "but were " + cin + " -> " + cout);
    }
    if (!depthwise() && (cin % group != 0 || cout % group != 0)) {
      throw new IllegalArgumentException("layer '" + name + "': group " + group + " must divide the channels, but they "
          + "were " + cin + " -> " + cout);
    }
  }

  /**
   * Multiply-accumulates of one sample at the given width, counted as {@link fwi.cloud.graph.ModelCounter} does:
   * Conv {@code H_out·W_out·C_out·C_in/g·kH·kW}, ConvTranspose {@code H_in·W_in·C_in·C_out/g·kH·kW}.
   */
  public long macs(int cin, int cout) {
    int g = groupAt(cin, cout);
    long k = (long) kernel.get(0) * kernel.get(1);
    return op.equals("Conv") ? (long) outHeight * outWidth * cout * (cin / g) * k
        : (long) inHeight * inWidth * cin * (cout / g) * k;
  }

  /** {@link #macs} at full width. */
  public long fullMacs() {
    return macs(inChannels, outChannels);
  }

  /**
   * The weighted 2-D layers of a model in graph order, shapes inferred at batch 1.
   *
   * @throws UnsupportedOperatorException for a weighted convolution that is not 2-D, or a
   *     ConvTranspose with auto_pad, or an op {@link ShapeInference} does not know
   * @throws InvalidModelException if the graph's shapes contradict each other
   */
  public static List<LayerKey> of(ModelProto model) throws InvalidModelException {
    OnnxGraph g = new OnnxGraph(model);
    Map<String, long[]> shapes = ShapeInference.infer(g, 1);
    Set<String> graphOutputs = new java.util.HashSet<>();
    model.getGraph().getOutputList().forEach(v -> graphOutputs.add(v.getName()));
    List<LayerKey> keys = new ArrayList<>();
    for (NodeProto n : g.nodes()) {
      String op = n.getOpType();
      if ((!op.equals("Conv") && !op.equals("ConvTranspose")) || n.getInputCount() < 2
          || !g.isInitializer(n.getInput(1))) {
        continue;
      }
      String name = nameOf(n);
      long[] x = shapes.get(n.getInput(0));
      long[] y = shapes.get(n.getOutput(0));
      if (x.length != 4) {
        throw new UnsupportedOperatorException(name, op, "only 2-D convolutions can be benchmarked, but the input is "
            + Arrays.toString(x));
      }
      long[] w = shapes.get(n.getInput(1));
      long[] kernel = ints(n, "kernel_shape", Arrays.copyOfRange(w, 2, w.length));
      long[] strides = ints(n, "strides", new long[] {1, 1});
      long[] dilations = ints(n, "dilations", new long[] {1, 1});
      long[] pads = pads(n, op, x, y, kernel, strides, dilations);
      keys.add(new LayerKey(name, op, toInts(kernel), toInts(strides), toInts(pads), toInts(dilations),
          (int) intAttr(n, "group", 1), (int) x[2], (int) x[3], (int) y[2], (int) y[3], (int) x[1], (int) y[1],
          chain(g, n, graphOutputs)));
    }
    return keys;
  }

  private static long[] pads(NodeProto n, String op, long[] x, long[] y, long[] kernel, long[] strides, long[] dil)
      throws UnsupportedOperatorException {
    String autoPad = stringAttr(n, "auto_pad", "NOTSET");
    switch (autoPad) {
      case "NOTSET":
        return ints(n, "pads", new long[4]);
      case "VALID":
        return new long[4];
      case "SAME_UPPER", "SAME_LOWER":
        if (op.equals("Conv")) {
          long[] p = new long[4];
          for (int a = 0; a < 2; a++) {
            long total = Math.max(0, (y[a + 2] - 1) * strides[a] + dil[a] * (kernel[a] - 1) + 1 - x[a + 2]);
            long small = total / 2;
            p[a] = autoPad.equals("SAME_UPPER") ? small : total - small;
            p[a + 2] = total - p[a];
          }
          return p;
        }
        throw new UnsupportedOperatorException(nameOf(n), op, "auto_pad '" + autoPad + "' is not supported for "
            + "benchmarking; export with explicit pads");
      default:
        throw new UnsupportedOperatorException(nameOf(n), op, "auto_pad '" + autoPad + "'");
    }
  }

  /** Follows sole consumers while they are BatchNormalization (constant statistics) or a one-input activation. */
  private static List<String> chain(OnnxGraph g, NodeProto n, Set<String> graphOutputs) {
    List<String> chain = new ArrayList<>();
    String t = n.getOutput(0);
    while (!graphOutputs.contains(t)) {
      List<NodeProto> next = g.consumers(t);
      if (next.size() != 1 || !next.get(0).getInput(0).equals(t) || next.get(0).getOutputCount() < 1) {
        break;
      }
      NodeProto c = next.get(0);
      boolean ok = c.getOpType().equals("BatchNormalization")
          ? c.getInputCount() == 5 && c.getInputList().subList(1, 5).stream().allMatch(g::isInitializer)
          : CHAIN_OPS.contains(c.getOpType()) && c.getInputCount() == 1;
      if (!ok) {
        break;
      }
      chain.add(c.getOpType());
      t = c.getOutput(0);
    }
    return chain;
  }

  private static List<Integer> toInts(long[] v) {
    List<Integer> l = new ArrayList<>(v.length);
    for (long x : v) {
      l.add(Math.toIntExact(x));
    }
    return l;
  }
}
