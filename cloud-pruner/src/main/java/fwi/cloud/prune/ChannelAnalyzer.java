package fwi.cloud.prune;

import static fwi.cloud.graph.OnnxGraph.intAttr;
import static fwi.cloud.graph.OnnxGraph.nameOf;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.graph.ShapeInference;
import fwi.cloud.graph.UnsupportedOperatorException;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.prune.ChannelGraph.ResolvedLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Builds a {@link ChannelGraph}: one pass over the nodes with a union-find over channel groups. Single use. */
final class ChannelAnalyzer {
  /** Ops whose output has the input's shape and treats every channel alike. */
  private static final Set<String> CHANNEL_WISE = Set.of("Relu", "LeakyRelu", "Tanh", "Sigmoid", "Abs", "Sign",
      "Log", "Exp", "Neg", "Sqrt", "Identity", "Dropout", "Clip", "Elu", "Selu", "HardSigmoid", "HardSwish",
      "Softplus", "Erf", "Reciprocal", "Cast", "Floor", "Ceil", "Round", "Not", "Gelu", "Mish", "MaxPool",
      "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool");
  private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum",
      "Mean", "Where", "Equal", "Greater", "Less", "PRelu");

  private final OnnxGraph graph;
  private final Map<String, long[]> shapes;
  private final Map<String, Layout> layouts = new HashMap<>();
  // Union-find over groups created during the pass.
  private final List<Integer> parent = new ArrayList<>();
  private final List<Integer> sizes = new ArrayList<>();
  private final List<String> frozen = new ArrayList<>();
  private final List<String> producerNode = new ArrayList<>();
  private final Map<String, Map<Integer, Layout>> axes = new LinkedHashMap<>();
  private final List<Binding> bindings = new ArrayList<>();
  private final Map<String, Layout> groupAttributes = new LinkedHashMap<>();

  private record Binding(String initializer, int axis, Role role, String node) {}

  ChannelAnalyzer(OnnxGraph graph) throws InvalidModelException {
    this.graph = graph;
    this.shapes = ShapeInference.infer(graph, 1);
  }

  ChannelGraph run() throws InvalidModelException {
    for (ValueInfoProto v : graph.model().getGraph().getInputList()) {
      if (!graph.isInitializer(v.getName())) {
        long[] s = shapes.get(v.getName());
        if (s != null && s.length >= 2) {
          layouts.put(v.getName(), newGroup((int) s[1], "channels of graph input '" + v.getName() + "'", null));
        }
      }
    }
    for (NodeProto n : graph.nodes()) {
      visit(n);
    }
    for (ValueInfoProto v : graph.model().getGraph().getOutputList()) {
      layout(v.getName()).ifPresent(l -> freeze(l, "channels of graph output '" + v.getName() + "'"));
    }
    return resolve();
  }

  // ---- union-find -------------------------------------------------------------------------

  private Layout newGroup(int channels, String frozenReason, String producer) {
    int id = parent.size();
    parent.add(id);
    sizes.add(channels);
    frozen.add(frozenReason);
    producerNode.add(producer);
    return Layout.of(id, channels);
  }

  private int find(int g) {
    int root = g;
    while (parent.get(root) != root) {
      root = parent.get(root);
    }
    while (parent.get(g) != root) {
      int next = parent.get(g);
      parent.set(g, root);
      g = next;
    }
    return root;
  }

  private void union(int a, int b) {
    int ra = find(a);
    int rb = find(b);
    if (ra == rb) {
      return;
    }
    // Keep the older group as root so the group is named after its first producer.
    int root = Math.min(ra, rb);
    int child = Math.max(ra, rb);
    parent.set(child, root);
    if (frozen.get(root) == null) {
      frozen.set(root, frozen.get(child));
    }
    if (producerNode.get(root) == null) {
      producerNode.set(root, producerNode.get(child));
    }
  }

  private void freeze(Layout l, String reason) {
    for (Layout.Segment s : l.segments()) {
      int r = find(s.group());
      if (frozen.get(r) == null) {
        frozen.set(r, reason);
      }
    }
  }

  /**
   * Makes two layouts of the same channels one: segment by segment when they are built alike;
   * otherwise the channels cannot be matched and every group involved is frozen.
   */
  private Layout unify(Layout a, Layout b, String where) {
    if (a.sameStructure(b)) {
      for (int i = 0; i < a.segments().size(); i++) {
        union(a.segments().get(i).group(), b.segments().get(i).group());
      }
    } else {
      String reason = where + " joins channel sets built differently (" + a.total() + " vs " + b.total()
          + " channels in " + a.segments().size() + " vs " + b.segments().size() + " parts)";
      freeze(a, reason);
      freeze(b, reason);
    }
    return a;
  }

  // ---- nodes ------------------------------------------------------------------------------

  private void visit(NodeProto n) throws InvalidModelException {
    String op = n.getOpType();
    if (CHANNEL_WISE.contains(op)) {
      passThrough(n);
      return;
    }
    if (ELEMENTWISE.contains(op)) {
      elementwise(n);
      return;
    }
    if (ShapeInference.REDUCTIONS.contains(op)) {
      follow(n, AxisChannels.reduce(n, shape(n.getInput(0)), reductionAxes(n)));
      return;
    }
    switch (op) {
      case "Conv" -> conv(n, false);
      case "ConvTranspose" -> conv(n, true);
      case "Gemm", "MatMul" -> dense(n);
      case "BatchNormalization", "InstanceNormalization" -> norm(n);
      case "Concat" -> concat(n);
      case "Pad" -> pad(n);
      case "Slice" -> slice(n);
      case "Flatten" -> flatten(n);
      case "Reshape" -> reshape(n);
      case "Squeeze", "Unsqueeze" -> squeeze(n);
      case "Softmax", "LogSoftmax" -> softmax(n);
      case "Transpose" -> follow(n, AxisChannels.transpose(n, shape(n.getInput(0))));
      case "Split" -> follow(n, AxisChannels.split(n, shape(n.getInput(0)), outputShapes(n)));
      case "Tile" -> follow(n, AxisChannels.tile(n, ints(n.getInput(1))));
      case "Gather" -> gather(n);
      case "Constant" -> { }
      case "LRN" -> freezeThrough(n, "node '" + nameOf(n) + "' (LRN) normalizes across neighbouring channels");
      default -> throw new UnsupportedOperatorException(nameOf(n), op,
          "the pruner does not know how this operator treats channels; nothing was pruned");
    }
  }

  private Optional<Layout> layout(String tensor) {
    return Optional.ofNullable(layouts.get(tensor));
  }

  private long[] shape(String tensor) {
    return shapes.getOrDefault(tensor, new long[0]);
  }

  private void setOutput(NodeProto n, Layout l) {
    if (n.getOutputCount() > 0 && l != null && shape(n.getOutput(0)).length >= 2) {
      layouts.put(n.getOutput(0), l);
    }
  }

  /** Freezes the inputs' channels and gives every output with a channel axis fresh frozen channels. */
  private void freezeThrough(NodeProto n, String reason) {
    for (String in : n.getInputList()) {
      layout(in).ifPresent(l -> freeze(l, reason));
    }
    for (String t : n.getOutputList()) {
      long[] out = shape(t);
      if (out.length >= 2) {
        layouts.put(t, newGroup((int) out[1], reason, null));
      }
    }
  }

  /** Applies what an axis-rearranging op does to the channels of its data input (input 0) to its outputs. */
  private void follow(NodeProto n, ChannelFate fate) {
    Optional<Layout> in = layout(n.getInput(0));
    if (in.isEmpty()) {
      return;
    }
    if (fate instanceof ChannelFate.Lost lost) {
      freezeThrough(n, lost.reason());
      return;
    }
    Layout out = fate instanceof ChannelFate.Tiled t ? in.get().tiled(t.copies()) : in.get();
    for (String t : n.getOutputList()) {
      if (shape(t).length >= 2) {
        layouts.put(t, out);
      }
    }
  }

  private long[][] outputShapes(NodeProto n) {
    return n.getOutputList().stream().map(this::shape).toArray(long[][]::new);
  }

  private void passThrough(NodeProto n) {
    layout(n.getInput(0)).ifPresent(l -> setOutput(n, l));
  }

  /**
   * Binds an initializer axis to a layout. A second binding of the same axis (a shared weight)
   * must describe the same channels, so the two layouts are unified.
   */
  private void bind(NodeProto n, String initializer, int axis, Layout l, Role role) {
    Optional<TensorProto> t = graph.initializer(initializer);
    String node = nameOf(n);
    if (t.isEmpty()) {
      freeze(l, "node '" + node + "' (" + n.getOpType() + ") takes '" + initializer
          + "' from another node, not from a stored weight");
      return;
    }
    TensorProto w = t.get();
    if (w.getDataType() != TensorProto.DataType.FLOAT.getNumber()) {
      freeze(l, "weight '" + initializer + "' of node '" + node + "' is not float32 (data type " + w.getDataType() + ")");
      return;
    }
    if (axis >= w.getDimsCount() || w.getDims(axis) != l.total()) {
      freeze(l, "weight '" + initializer + "' of node '" + node + "' has shape " + w.getDimsList() + ", axis " + axis
          + " does not match " + l.total() + " channels");
      return;
    }
    Map<Integer, Layout> byAxis = axes.computeIfAbsent(initializer, k -> new LinkedHashMap<>());
    Layout earlier = byAxis.get(axis);
    if (earlier == null) {
      byAxis.put(axis, l);
    } else {
      unify(earlier, l, "shared weight '" + initializer + "'");
    }
    bindings.add(new Binding(initializer, axis, role, node));
  }

  private boolean hasInput(NodeProto n, int i) {
    return i < n.getInputCount() && !n.getInput(i).isEmpty();
  }

  private void conv(NodeProto n, boolean transposed) {
    String name = nameOf(n);
    Optional<Layout> in = layout(n.getInput(0));
    long[] w = shape(n.getInput(1));
    long[] y = shape(n.getOutput(0));
    if (in.isEmpty() || w.length < 3 || y.length < 2) {
      freezeThrough(n, "node '" + name + "' (" + n.getOpType() + ") has no channel axis to follow");
      return;
    }
    Layout x = in.get();
    long group = intAttr(n, "group", 1);
    if (!graph.isInitializer(n.getInput(1))) {
      freezeThrough(n, "node '" + name + "' computes its weights at run time");
      return;
    }
    if (group == 1) {
      Layout out = newGroup((int) y[1], null, name);
      bind(n, n.getInput(1), transposed ? 1 : 0, out, Role.PRODUCER);
      bind(n, n.getInput(1), transposed ? 0 : 1, x, Role.READER);
      if (hasInput(n, 2)) {
        bind(n, n.getInput(2), 0, out, Role.BIAS);
      }
      setOutput(n, out);
    } else if (group == x.total() && y[1] == x.total() && w[1] == 1) {
      // Depthwise: channel c of the output is computed from channel c of the input alone.
      bind(n, n.getInput(1), 0, x, Role.DEPTHWISE);
      if (hasInput(n, 2)) {
        bind(n, n.getInput(2), 0, x, Role.BIAS);
      }
      groupAttributes.put(name, x);
      setOutput(n, x);
    } else {
      freezeThrough(n, "grouped convolution '" + name + "' (group " + group + ") ties channels across groups");
    }
  }

  private void dense(NodeProto n) {
    String name = nameOf(n);
    String op = n.getOpType();
    Optional<Layout> in = layout(n.getInput(0));
    long[] a = shape(n.getInput(0));
    long[] y = shape(n.getOutput(0));
    boolean transA = op.equals("Gemm") && intAttr(n, "transA", 0) == 1;
    boolean transB = op.equals("Gemm") && intAttr(n, "transB", 0) == 1;
    if (in.isEmpty() || a.length != 2 || transA || !graph.isInitializer(n.getInput(1))) {
      freezeThrough(n, "node '" + name + "' (" + op + ") is not a fully connected layer over features with stored weights");
      return;
    }
    Layout out = newGroup((int) y[1], null, name);
    bind(n, n.getInput(1), transB ? 0 : 1, out, Role.PRODUCER);
    bind(n, n.getInput(1), transB ? 1 : 0, in.get(), Role.READER);
    if (op.equals("Gemm") && hasInput(n, 2)) {
      long[] c = shape(n.getInput(2));
      if (c.length >= 1 && c[c.length - 1] == y[1] && y[1] > 1) {
        bind(n, n.getInput(2), c.length - 1, out, Role.BIAS);
      }
    }
    setOutput(n, out);
  }

  private void norm(NodeProto n) {
    Optional<Layout> in = layout(n.getInput(0));
    if (in.isEmpty()) {
      return;
    }
    Role[] roles = {Role.NORM_SCALE, Role.NORM_SHIFT, Role.NORM_MEAN, Role.NORM_VAR};
    for (int i = 1; i < n.getInputCount() && i <= roles.length; i++) {
      if (hasInput(n, i)) {
        bind(n, n.getInput(i), 0, in.get(), roles[i - 1]);
      }
    }
    setOutput(n, in.get());
  }

  private void elementwise(NodeProto n) {
    long[] out = shape(n.getOutput(0));
    if (out.length < 2) {
      for (String in : n.getInputList()) {
        layout(in).ifPresent(l -> freeze(l, "node '" + nameOf(n) + "' (" + n.getOpType() + ") flattens channels away"));
      }
      return;
    }
    long channels = out[1];
    Layout result = null;
    List<String[]> constants = new ArrayList<>();
    for (int i = 0; i < n.getInputCount(); i++) {
      String t = n.getInput(i);
      if (t.isEmpty()) {
        continue;
      }
      long[] s = shape(t);
      int aligned = 1 - (out.length - s.length);
      long dim = aligned >= 0 && aligned < s.length ? s[aligned] : 1;
      Optional<Layout> l = layout(t);
      if (l.isPresent()) {
        if (s.length != out.length) {
          freeze(l.get(), "node '" + nameOf(n) + "' (" + n.getOpType() + ") broadcasts a tensor of rank " + s.length
              + " against rank " + out.length + ", misaligning channels");
        } else if (dim == channels) {
          result = result == null ? l.get() : unify(result, l.get(), "node '" + nameOf(n) + "' (" + n.getOpType() + ")");
        }
      } else if (dim == channels && channels > 1) {
        constants.add(new String[] {t, Integer.toString(aligned)});
      }
    }
    if (result == null) {
      result = newGroup((int) channels, "channels of node '" + nameOf(n) + "' come from a constant", null);
    }
    for (String[] c : constants) {
      bind(n, c[0], Integer.parseInt(c[1]), result, Role.PARAM);
    }
    setOutput(n, result);
  }

  private void concat(NodeProto n) {
    long[] out = shape(n.getOutput(0));
    long axis = intAttr(n, "axis", 0);
    if (axis < 0) {
      axis += out.length;
    }
    if (out.length < 2) {
      return;
    }
    List<Layout> parts = new ArrayList<>();
    for (String t : n.getInputList()) {
      Optional<Layout> l = layout(t);
      long[] s = shape(t);
      parts.add(l.orElseGet(() -> newGroup((int) s[1], "channels of node '" + nameOf(n) + "' (Concat) come from constant '"
          + t + "'", null)));
    }
    if (axis == 1) {
      List<Layout.Segment> segs = new ArrayList<>();
      parts.forEach(p -> segs.addAll(p.segments()));
      setOutput(n, new Layout(segs));
    } else {
      Layout r = parts.get(0);
      for (int i = 1; i < parts.size(); i++) {
        r = unify(r, parts.get(i), "node '" + nameOf(n) + "' (Concat along axis " + axis + ")");
      }
      setOutput(n, r);
    }
  }

  /** The int64/int32 values of a constant tensor: an initializer or the output of a Constant node. */
  private Optional<long[]> ints(String tensor) throws InvalidModelException {
    Optional<TensorProto> init = graph.initializer(tensor);
    if (init.isPresent()) {
      return Optional.of(OnnxGraph.longValues(init.get()));
    }
    Optional<NodeProto> p = graph.producer(tensor);
    if (p.isPresent() && p.get().getOpType().equals("Constant")) {
      Optional<AttributeProto> v = OnnxGraph.attribute(p.get(), "value");
      if (v.isPresent() && v.get().hasT()) {
        return Optional.of(OnnxGraph.longValues(v.get().getT()));
      }
      Optional<AttributeProto> vs = OnnxGraph.attribute(p.get(), "value_ints");
      if (vs.isPresent()) {
        return Optional.of(vs.get().getIntsList().stream().mapToLong(Long::longValue).toArray());
      }
    }
    return Optional.empty();
  }

  /** The constant axes of a reduction (input or attribute, empty for none), absent when computed at run time. */
  private Optional<long[]> reductionAxes(NodeProto n) throws InvalidModelException {
    return hasInput(n, 1) ? ints(n.getInput(1)) : Optional.of(OnnxGraph.ints(n, "axes", new long[0]));
  }

  /** Gather: the indices are values, not channels, so their own channel axis cannot be pruned. */
  private void gather(NodeProto n) throws InvalidModelException {
    String reason = "node '" + nameOf(n) + "' (Gather) reads this tensor as indices, not as channels";
    layout(n.getInput(1)).ifPresent(l -> freeze(l, reason));
    follow(n, AxisChannels.gather(n, shape(n.getInput(0)), shape(n.getInput(1))));
  }

  private void pad(NodeProto n) throws InvalidModelException {
    Optional<Layout> in = layout(n.getInput(0));
    if (in.isEmpty()) {
      return;
    }
    int rank = shape(n.getInput(0)).length;
    Optional<long[]> pads = hasInput(n, 1) ? ints(n.getInput(1))
        : Optional.ofNullable(OnnxGraph.ints(n, "pads", null));
    if (pads.isEmpty() || pads.get().length != 2 * rank) {
      freezeThrough(n, "pads of node '" + nameOf(n) + "' (Pad) are not constant");
    } else if (pads.get()[1] != 0 || pads.get()[1 + rank] != 0) {
      freezeThrough(n, "node '" + nameOf(n) + "' (Pad) pads or crops the channel axis by "
          + Arrays.toString(pads.get()));
    } else {
      setOutput(n, in.get());
    }
  }

  private void slice(NodeProto n) throws InvalidModelException {
    Optional<Layout> in = layout(n.getInput(0));
    if (in.isEmpty()) {
      return;
    }
    long[] x = shape(n.getInput(0));
    long[] y = shape(n.getOutput(0));
    Optional<long[]> axes;
    if (n.getInputCount() > 1) {
      Optional<long[]> starts = ints(n.getInput(1));
      axes = hasInput(n, 3) ? ints(n.getInput(3))
          : starts.map(s -> java.util.stream.LongStream.range(0, s.length).toArray());
    } else {
      long[] starts = OnnxGraph.ints(n, "starts", new long[0]);
      axes = Optional.of(OnnxGraph.ints(n, "axes", java.util.stream.LongStream.range(0, starts.length).toArray()));
    }
    if (axes.isEmpty()) {
      freezeThrough(n, "axes of node '" + nameOf(n) + "' (Slice) are not constant");
      return;
    }
    for (long a : axes.get()) {
      long axis = a < 0 ? a + x.length : a;
      if (axis == 1) {
        // Even a slice keeping every channel may reverse them (negative step); channels are not followed through.
        freezeThrough(n, "node '" + nameOf(n) + "' (Slice) slices the channel axis from " + x[1] + " to " + y[1]);
        return;
      }
    }
    setOutput(n, in.get());
  }

  private void flatten(NodeProto n) {
    Optional<Layout> in = layout(n.getInput(0));
    if (in.isEmpty()) {
      return;
    }
    long[] x = shape(n.getInput(0));
    long axis = intAttr(n, "axis", 1);
    if (axis < 0) {
      axis += x.length;
    }
    if (axis == 1) {
      setOutput(n, in.get().repeated((int) product(x, 2)));
    } else {
      freezeThrough(n, "node '" + nameOf(n) + "' (Flatten at axis " + axis + ") merges channels with other axes");
    }
  }

  private void reshape(NodeProto n) throws InvalidModelException {
    Optional<Layout> in = layout(n.getInput(0));
    if (in.isEmpty()) {
      return;
    }
    long[] x = shape(n.getInput(0));
    long[] y = shape(n.getOutput(0));
    Optional<long[]> target = ints(n.getInput(1));
    boolean allowZero = intAttr(n, "allowzero", 0) == 1;
    if (target.isPresent() && y.length >= 2 && x.length >= 2 && y[0] == x[0]) {
      long[] t = target.get();
      if (y.length == 2 && y[1] == product(x, 1) && t.length == 2 && t[1] == -1) {
        setOutput(n, in.get().repeated((int) product(x, 2)));
        return;
      }
      if (y[1] == x[1] && t.length >= 2 && t[1] == 0 && !allowZero && Arrays.stream(t).noneMatch(v -> v == -1)) {
        setOutput(n, in.get());
        return;
      }
    }
    freezeThrough(n, "node '" + nameOf(n) + "' (Reshape to " + Arrays.toString(target.orElse(new long[0]))
        + ") names the channel count or moves channels");
  }

  private void squeeze(NodeProto n) throws InvalidModelException {
    Optional<Layout> in = layout(n.getInput(0));
    if (in.isEmpty()) {
      return;
    }
    Optional<long[]> axes = hasInput(n, 1) ? ints(n.getInput(1)) : Optional.ofNullable(OnnxGraph.ints(n, "axes", null));
    int rank = n.getOpType().equals("Squeeze") ? shape(n.getInput(0)).length : shape(n.getOutput(0)).length;
    if (axes.isPresent() && Arrays.stream(axes.get()).map(a -> a < 0 ? a + rank : a).allMatch(a -> a >= 2)) {
      setOutput(n, in.get());
    } else {
      freezeThrough(n, "node '" + nameOf(n) + "' (" + n.getOpType() + ") moves the channel axis");
    }
  }

  private void softmax(NodeProto n) {
    long[] x = shape(n.getInput(0));
    long def = graph.opset() >= 13 ? -1 : 1;
    long axis = intAttr(n, "axis", def);
    if (axis < 0) {
      axis += x.length;
    }
    // Before opset 13 the op normalizes over all axes from `axis` on, so axis 1 or 0 includes channels.
    boolean overChannels = graph.opset() >= 13 ? axis == 1 : axis <= 1;
    if (overChannels) {
      freezeThrough(n, "node '" + nameOf(n) + "' (" + n.getOpType() + ") normalizes across channels");
    } else {
      passThrough(n);
    }
  }

  private static long product(long[] s, int from) {
    long p = 1;
    for (int i = from; i < s.length; i++) {
      p *= s[i];
    }
    return p;
  }

  // ---- result -----------------------------------------------------------------------------

  private ChannelGraph resolve() {
    Map<Integer, Integer> idOfRoot = new LinkedHashMap<>();
    for (int g = 0; g < parent.size(); g++) {
      idOfRoot.putIfAbsent(find(g), idOfRoot.size());
    }
    Map<Integer, List<Member>> members = new HashMap<>();
    for (Binding b : bindings) {
      Layout l = axes.get(b.initializer()).get(b.axis());
      for (Layout.Segment s : l.segments()) {
        List<Member> list = members.computeIfAbsent(idOfRoot.get(find(s.group())), k -> new ArrayList<>());
        Member m = new Member(b.initializer(), b.axis(), b.role(), b.node());
        if (!list.contains(m)) {
          list.add(m);
        }
      }
    }
    List<ChannelGroup> groups = new ArrayList<>();
    for (Map.Entry<Integer, Integer> e : idOfRoot.entrySet()) {
      int root = e.getKey();
      String producer = producerNode.get(root);
      String name = producer != null ? producer : "group" + e.getValue();
      groups.add(new ChannelGroup(e.getValue(), name, sizes.get(root), Optional.ofNullable(frozen.get(root)),
          members.getOrDefault(e.getValue(), List.of())));
    }
    Map<String, Map<Integer, ResolvedLayout>> resolvedAxes = new LinkedHashMap<>();
    axes.forEach((init, byAxis) -> {
      Map<Integer, ResolvedLayout> m = new LinkedHashMap<>();
      byAxis.forEach((axis, l) -> m.put(axis, resolve(l, idOfRoot)));
      resolvedAxes.put(init, m);
    });
    Map<String, ResolvedLayout> attrs = new LinkedHashMap<>();
    groupAttributes.forEach((node, l) -> attrs.put(node, resolve(l, idOfRoot)));
    Map<String, ResolvedLayout> tensorLayouts = new HashMap<>();
    layouts.forEach((t, l) -> tensorLayouts.put(t, resolve(l, idOfRoot)));
    return new ChannelGraph(graph, groups, resolvedAxes, attrs, tensorLayouts);
  }

  private ResolvedLayout resolve(Layout l, Map<Integer, Integer> idOfRoot) {
    List<Layout.Segment> segs = new ArrayList<>();
    for (Layout.Segment s : l.segments()) {
      segs.add(new Layout.Segment(idOfRoot.get(find(s.group())), s.length(), s.repeat()));
    }
    return new ResolvedLayout(segs);
  }
}
