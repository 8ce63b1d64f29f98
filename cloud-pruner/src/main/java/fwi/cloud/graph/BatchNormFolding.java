package fwi.cloud.graph;

import static fwi.cloud.graph.OnnxGraph.attribute;
import static fwi.cloud.graph.OnnxGraph.intAttr;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.ModelMetadata;
import fwi.cloud.model.OnnxModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Folds inference-mode BatchNormalization into the Conv or ConvTranspose before it. Stateless.
 *
 * <p>With {@code s = γ / √(σ² + ε)} per output channel, the conv's weight becomes {@code W·s}
 * along its output-channel axis (axis 0 of a Conv weight {@code [C_out, C_in/g, kH, kW]}; axis 1 of
 * a ConvTranspose weight {@code [C_in, C_out/g, kH, kW]}, group by group) and its bias
 * {@code (b − μ)·s + β} (a conv without bias gets one). The BatchNormalization node disappears and
 * the conv writes the tensor the BatchNormalization wrote, so consumers and graph outputs keep
 * their names. Arithmetic is in double, results are stored as float32.
 *
 * <p>A BatchNormalization is left in place when any of these holds:
 * <ul>
 *   <li>its input is not the first output of a default-domain Conv or ConvTranspose;</li>
 *   <li>that conv's output is read by anything else too (another node, a subgraph, a graph output);</li>
 *   <li>the conv's weight or bias, or any of γ, β, μ, σ², is not a float32 initializer;</li>
 *   <li>it runs in training mode ({@code training_mode = 1}), uses {@code spatial = 0}, or declares
 *       the optional training outputs;</li>
 *   <li>its vectors do not hold one value per conv output channel, or some {@code σ² + ε ≤ 0}.</li>
 * </ul>
 * Initializers that only the removed nodes read (old biases, BatchNormalization vectors) are
 * removed, as are {@code value_info} entries of tensors that no longer exist. Node order, opsets,
 * doc strings and metadata stay; when anything was folded, metadata
 * {@link ModelMetadata#BN_FOLDED} is set to {@code true}.
 */
public final class BatchNormFolding {
  /** ONNX's default BatchNormalization epsilon. */
  static final float DEFAULT_EPSILON = 1e-5f;

  private BatchNormFolding() {}

  /**
   * Folds every foldable BatchNormalization of {@code model}; returns {@code model} itself when
   * none is.
   *
   * @throws InvalidModelException if an initializer's stored size disagrees with its dims
   */
  public static ModelProto fold(ModelProto model) throws InvalidModelException {
    OnnxGraph g = new OnnxGraph(model);
    GraphProto graph = model.getGraph();
    Map<String, Integer> uses = uses(graph);

    Map<String, TensorProto> replaced = new HashMap<>(); // initializer name -> new content
    Map<String, List<TensorProto>> addedAfter = new HashMap<>(); // weight name -> new initializers after it
    Set<String> taken = allNames(graph);
    Set<String> candidates = new HashSet<>(); // initializers that may have become unused
    Map<NodeProto, NodeProto> rewritten = new HashMap<>(); // conv -> folded conv
    Set<NodeProto> removed = new HashSet<>();
    Set<String> goneTensors = new HashSet<>();
    List<String> added = new ArrayList<>(); // new initializers

    for (NodeProto bn : g.nodes()) {
      Optional<Fold> f = foldable(g, uses, bn);
      if (f.isEmpty()) {
        continue;
      }
      Fold fold = f.get();
      NodeProto conv = fold.conv();
      double[] s = new double[fold.channels()];
      double[] bias = new double[fold.channels()];
      for (int c = 0; c < s.length; c++) {
        s[c] = fold.gamma()[c] / Math.sqrt(fold.var()[c] + fold.epsilon());
        double b = fold.bias() == null ? 0 : fold.bias()[c];
        bias[c] = (b - fold.mean()[c]) * s[c] + fold.beta()[c];
      }
      TensorProto w = g.initializer(conv.getInput(1)).orElseThrow();
      float[] wFolded = scaleWeight(conv, w, OnnxGraph.floatValues(w), s);

      // Tensors read elsewhere too keep their values; the folded ones get fresh names.
      NodeProto.Builder nc = conv.toBuilder().setOutput(0, bn.getOutput(0));
      List<TensorProto> after = addedAfter.computeIfAbsent(w.getName(), k -> new ArrayList<>());
      TensorProto newW = w.toBuilder().clearFloatData().setRawData(floats(wFolded)).build();
      if (uses.get(w.getName()) == 1) {
        replaced.put(w.getName(), newW);
      } else {
        newW = newW.toBuilder().setName(unique(taken, w.getName() + ".bn_folded")).build();
        nc.setInput(1, newW.getName());
        candidates.add(w.getName());
        after.add(newW);
        added.add(newW.getName());
      }
      String oldB = conv.getInputCount() > 2 ? conv.getInput(2) : "";
      TensorProto.Builder newB = TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT.getNumber())
          .addDims(fold.channels()).setRawData(floats(toFloats(bias)));
      if (!oldB.isEmpty() && uses.get(oldB) == 1) {
        replaced.put(oldB, newB.setName(oldB).build());
      } else {
        newB.setName(unique(taken, oldB.isEmpty() ? baseName(w.getName()) + ".bias" : oldB + ".bn_folded"));
        after.add(newB.build());
        added.add(newB.getName());
        if (!oldB.isEmpty()) {
          candidates.add(oldB);
        }
      }
      if (nc.getInputCount() > 2) {
        nc.setInput(2, newB.getName());
      } else {
        nc.addInput(newB.getName());
      }
      for (int i = 1; i < 5; i++) {
        candidates.add(bn.getInput(i));
      }
      rewritten.put(conv, nc.build());
      removed.add(bn);
      goneTensors.add(conv.getOutput(0));
    }
    if (removed.isEmpty()) {
      return model;
    }

    GraphProto.Builder out = graph.toBuilder().clearNode().clearInitializer();
    for (NodeProto n : graph.getNodeList()) {
      if (!removed.contains(n)) {
        out.addNode(rewritten.getOrDefault(n, n));
      }
    }
    for (TensorProto t : graph.getInitializerList()) {
      out.addInitializer(replaced.getOrDefault(t.getName(), t));
      for (TensorProto extra : addedAfter.getOrDefault(t.getName(), List.of())) {
        out.addInitializer(extra);
      }
    }
    Map<String, Integer> usesAfter = uses(out.build());
    Set<String> unused = new HashSet<>();
    for (String c : candidates) {
      if (usesAfter.getOrDefault(c, 0) == 0) {
        unused.add(c);
      }
    }
    List<TensorProto> kept = out.getInitializerList().stream().filter(t -> !unused.contains(t.getName())).toList();
    out.clearInitializer().addAllInitializer(kept);
    goneTensors.addAll(unused);
    List<ValueInfoProto> inputs = new ArrayList<>(graph.getInputList());
    inputs.removeIf(v -> goneTensors.contains(v.getName()));
    if (model.getIrVersion() < 4) {
      // Before IR 4 every initializer must also be listed as a graph input.
      for (TensorProto t : kept) {
        if (added.contains(t.getName())) {
          inputs.add(ValueInfoProto.newBuilder().setName(t.getName()).setType(TypeProto.newBuilder()
              .setTensorType(TypeProto.Tensor.newBuilder().setElemType(t.getDataType()).setShape(shapeOf(t)))).build());
        }
      }
    }
    out.clearInput().addAllInput(inputs);
    List<ValueInfoProto> info = new ArrayList<>(graph.getValueInfoList());
    info.removeIf(v -> goneTensors.contains(v.getName()));
    out.clearValueInfo().addAllValueInfo(info);

    ModelProto folded = model.toBuilder().setGraph(out).build();
    return OnnxModels.withMetadata(folded, ModelMetadata.BN_FOLDED, "true");
  }

  /** What one fold needs; {@code bias} is null for a conv without bias. */
  private record Fold(NodeProto conv, int channels, double[] gamma, double[] beta, double[] mean, double[] var,
      double epsilon, double[] bias) {}

  private static Optional<Fold> foldable(OnnxGraph g, Map<String, Integer> uses, NodeProto bn)
      throws InvalidModelException {
    if (!bn.getOpType().equals("BatchNormalization") || !defaultDomain(bn) || bn.getInputCount() != 5
        || intAttr(bn, "training_mode", 0) != 0 || intAttr(bn, "spatial", 1) != 1) {
      return Optional.empty();
    }
    for (int i = 1; i < bn.getOutputCount(); i++) {
      if (!bn.getOutput(i).isEmpty()) {
        return Optional.empty();
      }
    }
    Optional<NodeProto> p = g.producer(bn.getInput(0));
    if (p.isEmpty()) {
      return Optional.empty();
    }
    NodeProto conv = p.get();
    boolean transposed = conv.getOpType().equals("ConvTranspose");
    if (!(transposed || conv.getOpType().equals("Conv")) || !defaultDomain(conv)
        || !conv.getOutput(0).equals(bn.getInput(0)) || uses.getOrDefault(conv.getOutput(0), 0) != 1
        || conv.getInputCount() < 2) {
      return Optional.empty();
    }
    Optional<TensorProto> w = floatInitializer(g, conv.getInput(1));
    boolean hasBias = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty();
    Optional<TensorProto> b = hasBias ? floatInitializer(g, conv.getInput(2)) : Optional.empty();
    if (w.isEmpty() || w.get().getDimsCount() < 2 || (hasBias && b.isEmpty())) {
      return Optional.empty();
    }
    long group = intAttr(conv, "group", 1);
    long channels = transposed ? w.get().getDims(1) * group : w.get().getDims(0);
    if (group < 1 || (transposed && w.get().getDims(0) % group != 0)) {
      return Optional.empty();
    }
    double[][] v = new double[4][];
    for (int i = 0; i < 4; i++) {
      Optional<TensorProto> t = floatInitializer(g, bn.getInput(i + 1));
      if (t.isEmpty() || OnnxGraph.elementCount(t.get()) != channels) {
        return Optional.empty();
      }
      v[i] = toDoubles(OnnxGraph.floatValues(t.get()));
    }
    double[] bias = null;
    if (hasBias) {
      if (OnnxGraph.elementCount(b.get()) != channels) {
        return Optional.empty();
      }
      bias = toDoubles(OnnxGraph.floatValues(b.get()));
    }
    double eps = attribute(bn, "epsilon").map(AttributeProto::getF).orElse(DEFAULT_EPSILON);
    for (double var : v[3]) {
      if (!(var + eps > 0)) {
        return Optional.empty();
      }
    }
    return Optional.of(new Fold(conv, (int) channels, v[0], v[1], v[2], v[3], eps, bias));
  }

  /** Multiplies every weight by the scale of the output channel it feeds. */
  private static float[] scaleWeight(NodeProto conv, TensorProto w, float[] values, double[] s) {
    long d0 = w.getDims(0);
    long d1 = w.getDims(1);
    int inner = (int) (values.length / (d0 * d1));
    float[] out = new float[values.length];
    if (conv.getOpType().equals("Conv")) {
      int per = (int) (d1 * inner);
      for (int i = 0; i < values.length; i++) {
        out[i] = (float) (values[i] * s[i / per]);
      }
      return out;
    }
    // ConvTranspose [C_in, C_out/g, k...]: input channel ci belongs to group ci / (C_in/g), whose
    // output channels are numbered from group·(C_out/g).
    long inPerGroup = d0 / intAttr(conv, "group", 1);
    for (int i = 0; i < values.length; i++) {
      long ci = i / (d1 * inner);
      long j = (i / inner) % d1;
      out[i] = (float) (values[i] * s[(int) ((ci / inPerGroup) * d1 + j)]);
    }
    return out;
  }

  private static Optional<TensorProto> floatInitializer(OnnxGraph g, String name) {
    return g.initializer(name).filter(t -> t.getDataType() == TensorProto.DataType.FLOAT.getNumber()
        && t.getDataLocation() != TensorProto.DataLocation.EXTERNAL);
  }

  private static boolean defaultDomain(NodeProto n) {
    return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
  }

  /** How often each tensor is read: by node inputs, by subgraphs (outer-scope references), as a graph output. */
  private static Map<String, Integer> uses(GraphProto graph) {
    Map<String, Integer> uses = new HashMap<>();
    countUses(graph, uses);
    for (ValueInfoProto o : graph.getOutputList()) {
      uses.merge(o.getName(), 1, Integer::sum);
    }
    return uses;
  }

  private static void countUses(GraphProto graph, Map<String, Integer> uses) {
    for (NodeProto n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        if (!in.isEmpty()) {
          uses.merge(in, 1, Integer::sum);
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          countSubgraph(a.getG(), uses);
        }
        a.getGraphsList().forEach(sub -> countSubgraph(sub, uses));
      }
    }
  }

  private static void countSubgraph(GraphProto sub, Map<String, Integer> uses) {
    countUses(sub, uses);
    for (ValueInfoProto o : sub.getOutputList()) {
      uses.merge(o.getName(), 1, Integer::sum);
    }
  }

  private static Set<String> allNames(GraphProto graph) {
    Set<String> names = new HashSet<>();
    graph.getInitializerList().forEach(t -> names.add(t.getName()));
    graph.getInputList().forEach(v -> names.add(v.getName()));
    for (NodeProto n : graph.getNodeList()) {
      names.addAll(n.getInputList());
      names.addAll(n.getOutputList());
    }
    return names;
  }

  private static String unique(Set<String> taken, String wanted) {
    String name = wanted;
    for (int i = 1; taken.contains(name); i++) {
      name = wanted + "_" + i;
    }
    taken.add(name);
    return name;
  }

  /** {@code convblock1.weight} -> {@code convblock1}; other names unchanged. */
  private static String baseName(String weight) {
    return weight.endsWith(".weight") ? weight.substring(0, weight.length() - ".weight".length()) : weight;
  }

  private static TensorShapeProto shapeOf(TensorProto t) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    t.getDimsList().forEach(d -> s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d)));
    return s.build();
  }

  private static ByteString floats(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return ByteString.copyFrom(b.array());
  }

  private static double[] toDoubles(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  private static float[] toFloats(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }
}
