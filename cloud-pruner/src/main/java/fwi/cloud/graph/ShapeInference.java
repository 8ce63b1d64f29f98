package fwi.cloud.graph;

import static fwi.cloud.graph.OnnxGraph.intAttr;
import static fwi.cloud.graph.OnnxGraph.ints;
import static fwi.cloud.graph.OnnxGraph.nameOf;
import static fwi.cloud.graph.OnnxGraph.stringAttr;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import fwi.cloud.model.InvalidModelException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Computes the shape of every tensor in a graph of the convolutional op family, for a given batch
 * size (symbolic input dimensions take that value).
 *
 * <p>Understood: Conv, ConvTranspose, BatchNormalization, pooling, elementwise unary and binary
 * ops with broadcasting, Pad (negative pads crop), Slice, Concat, Flatten, Reshape and
 * Squeeze/Unsqueeze with constant arguments, Gemm, MatMul, Constant, and the ops whose arguments
 * name axes (Transpose, the Reduce family, Split, Tile, Gather; see {@link AxisShapes}), with
 * arguments read from attributes or constant inputs as the model's opset places them. Anything else
 * raises {@link UnsupportedOperatorException} naming the node, never a guess.
 */
public final class ShapeInference {
  private static final Set<String> SAME_SHAPE = Set.of("BatchNormalization", "Relu", "LeakyRelu", "Tanh",
      "Sigmoid", "Abs", "Sign", "Log", "Exp", "Neg", "Sqrt", "Identity", "Dropout", "Clip", "Elu", "Selu",
      "HardSigmoid", "HardSwish", "Softplus", "Erf", "Reciprocal", "Cast", "Softmax", "LogSoftmax", "PRelu",
      "InstanceNormalization", "LRN", "Floor", "Ceil", "Round", "Not", "Gelu", "Mish");
  private static final Set<String> BROADCAST = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum",
      "Mean", "Where", "Equal", "Greater", "Less");
  /** Reductions sharing one signature: axes (attribute, or input from ReduceSum-13 and opset 18), keepdims. */
  public static final Set<String> REDUCTIONS = Set.of("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
      "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");

  private final Map<String, long[]> shapes = new HashMap<>();
  private final Map<String, long[]> constants = new HashMap<>();
  private final long opset;

  private ShapeInference(long opset) {
    this.opset = opset;
  }

  /**
   * Infers every tensor's shape.
   *
   * @param batch value given to symbolic dimensions of the graph inputs; at least 1
   * @throws UnsupportedOperatorException for an op outside the family
   * @throws InvalidModelException for a graph whose shapes contradict each other
   */
  public static Map<String, long[]> infer(OnnxGraph graph, int batch) throws InvalidModelException {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, but was " + batch);
    }
    ShapeInference s = new ShapeInference(graph.opset());
    for (TensorProto t : graph.model().getGraph().getInitializerList()) {
      s.shapes.put(t.getName(), t.getDimsList().stream().mapToLong(Long::longValue).toArray());
      if (t.getDataType() == TensorProto.DataType.INT64.getNumber()
          || t.getDataType() == TensorProto.DataType.INT32.getNumber()) {
        s.constants.put(t.getName(), OnnxGraph.longValues(t));
      }
    }
    for (ValueInfoProto v : graph.model().getGraph().getInputList()) {
      if (s.shapes.containsKey(v.getName())) {
        continue; // older IR versions list initializers among the inputs
      }
      TensorShapeProto shape = v.getType().getTensorType().getShape();
      long[] dims = new long[shape.getDimCount()];
      for (int i = 0; i < dims.length; i++) {
        TensorShapeProto.Dimension d = shape.getDim(i);
        dims[i] = d.hasDimValue() && d.getDimValue() > 0 ? d.getDimValue() : batch;
      }
      s.shapes.put(v.getName(), dims);
    }
    for (NodeProto n : graph.nodes()) {
      s.visit(n);
    }
    return s.shapes;
  }

  private long[] in(NodeProto n, int i) throws InvalidModelException {
    if (i >= n.getInputCount() || n.getInput(i).isEmpty()) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (" + n.getOpType() + ") has no input " + i);
    }
    long[] s = shapes.get(n.getInput(i));
    if (s == null) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (" + n.getOpType() + ") reads tensor '"
          + n.getInput(i) + "', which nothing before it produces");
    }
    return s;
  }

  private Optional<long[]> constant(NodeProto n, int i) {
    return i < n.getInputCount() && !n.getInput(i).isEmpty()
        ? Optional.ofNullable(constants.get(n.getInput(i))) : Optional.empty();
  }

  private long[] requireConstant(NodeProto n, int i, String what) throws InvalidModelException {
    return constant(n, i).orElseThrow(() -> new UnsupportedOperatorException(nameOf(n), n.getOpType(),
        what + " (input " + i + ") must be a constant, but '" + (i < n.getInputCount() ? n.getInput(i) : "")
            + "' is computed at run time"));
  }

  private void visit(NodeProto n) throws InvalidModelException {
    String op = n.getOpType();
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      throw new UnsupportedOperatorException(nameOf(n), op, "custom domain '" + n.getDomain() + "' is not supported");
    }
    if (op.equals("Split")) {
      long[][] parts = AxisShapes.split(n, in(n, 0), splitSizes(n));
      for (int i = 0; i < parts.length; i++) {
        shapes.put(n.getOutput(i), parts[i]);
      }
      return;
    }
    long[] out;
    if (SAME_SHAPE.contains(op)) {
      out = in(n, 0).clone();
    } else if (BROADCAST.contains(op)) {
      out = in(n, 0);
      for (int i = 1; i < n.getInputCount(); i++) {
        out = broadcast(n, out, in(n, i));
      }
    } else if (REDUCTIONS.contains(op)) {
      out = AxisShapes.reduce(n, in(n, 0), reductionAxes(n));
    } else {
      out = switch (op) {
        case "Conv", "MaxPool", "AveragePool", "LpPool" -> convLike(n);
        case "ConvTranspose" -> convTranspose(n);
        case "GlobalAveragePool", "GlobalMaxPool" -> globalPool(n);
        case "Pad" -> pad(n);
        case "Slice" -> slice(n);
        case "Concat" -> concat(n);
        case "Flatten" -> flatten(n);
        case "Reshape" -> reshape(n);
        case "Gemm" -> gemm(n);
        case "MatMul" -> matmul(n);
        case "Constant" -> constantNode(n);
        case "Squeeze", "Unsqueeze" -> squeeze(n);
        case "Transpose" -> AxisShapes.transpose(n, in(n, 0));
        case "Tile" -> tile(n);
        case "Gather" -> AxisShapes.gather(n, in(n, 0), in(n, 1));
        default -> throw new UnsupportedOperatorException(nameOf(n), op, "operator is not supported by the analyser");
      };
    }
    if (n.getOutputCount() == 0) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (" + op + ") has no output");
    }
    shapes.put(n.getOutput(0), out);
    // Extra outputs (BatchNormalization/Dropout training outputs, MaxPool indices) are not used by inference graphs.
  }

  /**
   * The axes of a reduction: the constant second input when there is one (ReduceSum from opset 13,
   * every reduction from opset 18), else the {@code axes} attribute, else none.
   */
  private long[] reductionAxes(NodeProto n) throws InvalidModelException {
    if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      return requireConstant(n, 1, "axes");
    }
    return ints(n, "axes", new long[0]);
  }

  /** Split sizes: the constant second input (opset 13 on) or the {@code split} attribute (before), if given. */
  private Optional<long[]> splitSizes(NodeProto n) throws InvalidModelException {
    if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      return Optional.of(requireConstant(n, 1, "split"));
    }
    return Optional.ofNullable(ints(n, "split", null));
  }

  private long[] tile(NodeProto n) throws InvalidModelException {
    if ((opset > 0 && opset < 6) || n.getInputCount() > 2) {
      throw new UnsupportedOperatorException(nameOf(n), "Tile", "Tile before opset 6 (tiles and axis inputs) is not "
          + "supported; the model declares opset " + opset);
    }
    return AxisShapes.tile(n, in(n, 0), requireConstant(n, 1, "repeats"));
  }

  private static long[] broadcast(NodeProto n, long[] a, long[] b) throws InvalidModelException {
    int r = Math.max(a.length, b.length);
    long[] out = new long[r];
    for (int i = 0; i < r; i++) {
      long x = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
      long y = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
      if (x != y && x != 1 && y != 1) {
        throw new InvalidModelException("node '" + nameOf(n) + "' (" + n.getOpType() + "): shapes "
            + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
      }
      out[i] = Math.max(x, y);
    }
    return out;
  }

  private long[] convLike(NodeProto n) throws InvalidModelException {
    long[] x = in(n, 0);
    int spatial = x.length - 2;
    if (spatial < 1) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (" + n.getOpType() + ") needs input of rank >= 3, but got "
          + Arrays.toString(x));
    }
    boolean conv = n.getOpType().equals("Conv");
    long[] w = conv ? in(n, 1) : null;
    long[] kernel = ints(n, "kernel_shape", w == null ? null : Arrays.copyOfRange(w, 2, w.length));
    if (kernel == null) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (" + n.getOpType() + ") has no kernel_shape");
    }
    long[] strides = ints(n, "strides", filled(spatial, 1));
    long[] dil = ints(n, "dilations", filled(spatial, 1));
    long[] pads = ints(n, "pads", filled(2 * spatial, 0));
    String autoPad = stringAttr(n, "auto_pad", "NOTSET");
    boolean ceil = intAttr(n, "ceil_mode", 0) == 1;
    long[] out = new long[x.length];
    out[0] = x[0];
    if (conv) {
      long group = intAttr(n, "group", 1);
      if (x[1] != w[1] * group) {
        throw new InvalidModelException("node '" + nameOf(n) + "' (Conv): input has " + x[1] + " channels, but weight "
            + Arrays.toString(w) + " with group " + group + " expects " + w[1] * group);
      }
      out[1] = w[0];
    } else {
      out[1] = x[1];
    }
    for (int i = 0; i < spatial; i++) {
      long h = x[i + 2];
      long eff = dil[i] * (kernel[i] - 1) + 1;
      long o;
      switch (autoPad) {
        case "NOTSET" -> {
          long num = h + pads[i] + pads[i + spatial] - eff;
          o = (ceil ? Math.floorDiv(num + strides[i] - 1, strides[i]) : Math.floorDiv(num, strides[i])) + 1;
        }
        case "VALID" -> o = Math.floorDiv(h - eff, strides[i]) + 1;
        case "SAME_UPPER", "SAME_LOWER" -> o = Math.floorDiv(h + strides[i] - 1, strides[i]);
        default -> throw new UnsupportedOperatorException(nameOf(n), n.getOpType(), "auto_pad '" + autoPad + "'");
      }
      if (o < 1) {
        throw new InvalidModelException("node '" + nameOf(n) + "' (" + n.getOpType() + "): spatial size " + h
            + " is too small for kernel " + kernel[i] + ", giving output size " + o);
      }
      out[i + 2] = o;
    }
    return out;
  }

  private long[] convTranspose(NodeProto n) throws InvalidModelException {
    long[] x = in(n, 0);
    long[] w = in(n, 1);
    int spatial = x.length - 2;
    long group = intAttr(n, "group", 1);
    if (x[1] != w[0]) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (ConvTranspose): input has " + x[1]
          + " channels, but weight " + Arrays.toString(w) + " (layout [C_in, C_out/group, kH, kW]) expects " + w[0]);
    }
    long[] kernel = ints(n, "kernel_shape", Arrays.copyOfRange(w, 2, w.length));
    long[] strides = ints(n, "strides", filled(spatial, 1));
    long[] dil = ints(n, "dilations", filled(spatial, 1));
    long[] pads = ints(n, "pads", filled(2 * spatial, 0));
    long[] outPad = ints(n, "output_padding", filled(spatial, 0));
    long[] outShape = ints(n, "output_shape", null);
    String autoPad = stringAttr(n, "auto_pad", "NOTSET");
    if (!autoPad.equals("NOTSET") && outShape == null) {
      throw new UnsupportedOperatorException(nameOf(n), "ConvTranspose", "auto_pad '" + autoPad + "' without output_shape");
    }
    long[] out = new long[x.length];
    out[0] = x[0];
    out[1] = w[1] * group;
    for (int i = 0; i < spatial; i++) {
      out[i + 2] = outShape != null ? outShape[outShape.length - spatial + i]
          : strides[i] * (x[i + 2] - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - pads[i] - pads[i + spatial];
    }
    return out;
  }

  private long[] globalPool(NodeProto n) throws InvalidModelException {
    long[] x = in(n, 0).clone();
    for (int i = 2; i < x.length; i++) {
      x[i] = 1;
    }
    return x;
  }

  private long[] pad(NodeProto n) throws InvalidModelException {
    long[] x = in(n, 0);
    long[] pads = n.getInputCount() > 1 && !n.getInput(1).isEmpty()
        ? requireConstant(n, 1, "pads") : ints(n, "pads", null);
    if (pads == null || pads.length != 2 * x.length) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (Pad): pads must have " + 2 * x.length
          + " values for input " + Arrays.toString(x) + ", but has " + (pads == null ? "none" : Arrays.toString(pads)));
    }
    if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
      throw new UnsupportedOperatorException(nameOf(n), "Pad", "the axes input (opset 18) is not supported");
    }
    long[] out = new long[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] + pads[i] + pads[i + x.length];
      if (out[i] < 1) {
        throw new InvalidModelException("node '" + nameOf(n) + "' (Pad): pads " + Arrays.toString(pads)
            + " crop dimension " + i + " of " + Arrays.toString(x) + " to " + out[i]);
      }
    }
    return out;
  }

  private long[] slice(NodeProto n) throws InvalidModelException {
    long[] x = in(n, 0);
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps;
    if (n.getInputCount() > 1) {
      starts = requireConstant(n, 1, "starts");
      ends = requireConstant(n, 2, "ends");
      axes = constant(n, 3).orElse(range(starts.length));
      steps = constant(n, 4).orElse(filled(starts.length, 1));
    } else {
      starts = ints(n, "starts", new long[0]);
      ends = ints(n, "ends", new long[0]);
      axes = ints(n, "axes", range(starts.length));
      steps = filled(starts.length, 1);
    }
    long[] out = x.clone();
    for (int i = 0; i < starts.length; i++) {
      int axis = (int) (axes[i] < 0 ? axes[i] + x.length : axes[i]);
      long dim = x[axis];
      long step = steps[i];
      if (step == 0) {
        throw new InvalidModelException("node '" + nameOf(n) + "' (Slice): step must not be 0");
      }
      long s = clampIndex(starts[i], dim, step);
      long e = clampIndex(ends[i], dim, step);
      long len = step > 0 ? Math.max(0, Math.floorDiv(e - s + step - 1, step))
          : Math.max(0, Math.floorDiv(s - e + (-step) - 1, -step));
      out[axis] = len;
    }
    return out;
  }

  private static long clampIndex(long idx, long dim, long step) {
    long i = idx < 0 ? idx + dim : idx;
    return step > 0 ? Math.max(0, Math.min(dim, i)) : Math.max(-1, Math.min(dim - 1, i));
  }

  private long[] concat(NodeProto n) throws InvalidModelException {
    long[] first = in(n, 0);
    int axis = (int) intAttr(n, "axis", 0);
    if (axis < 0) {
      axis += first.length;
    }
    long[] out = first.clone();
    for (int i = 1; i < n.getInputCount(); i++) {
      long[] s = in(n, i);
      for (int d = 0; d < out.length; d++) {
        if (d != axis && s[d] != out[d]) {
          throw new InvalidModelException("node '" + nameOf(n) + "' (Concat): input " + i + " has shape "
              + Arrays.toString(s) + ", which differs from " + Arrays.toString(first) + " outside axis " + axis);
        }
      }
      out[axis] += s[axis];
    }
    return out;
  }

  private long[] flatten(NodeProto n) throws InvalidModelException {
    long[] x = in(n, 0);
    int axis = (int) intAttr(n, "axis", 1);
    if (axis < 0) {
      axis += x.length;
    }
    long a = 1;
    long b = 1;
    for (int i = 0; i < x.length; i++) {
      if (i < axis) {
        a *= x[i];
      } else {
        b *= x[i];
      }
    }
    return new long[] {a, b};
  }

  private long[] reshape(NodeProto n) throws InvalidModelException {
    long[] x = in(n, 0);
    long[] target = requireConstant(n, 1, "shape").clone();
    long total = product(x);
    int unknown = -1;
    long known = 1;
    for (int i = 0; i < target.length; i++) {
      if (target[i] == 0) {
        target[i] = x[i];
      }
      if (target[i] == -1) {
        unknown = i;
      } else {
        known *= target[i];
      }
    }
    if (unknown >= 0) {
      target[unknown] = total / known;
    }
    if (product(target) != total) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (Reshape): cannot reshape " + Arrays.toString(x)
          + " to " + Arrays.toString(target));
    }
    return target;
  }

  private long[] squeeze(NodeProto n) throws InvalidModelException {
    long[] x = in(n, 0);
    long[] axes = n.getInputCount() > 1 ? requireConstant(n, 1, "axes") : ints(n, "axes", null);
    boolean unsq = n.getOpType().equals("Unsqueeze");
    if (axes == null) {
      if (unsq) {
        throw new InvalidModelException("node '" + nameOf(n) + "' (Unsqueeze) has no axes");
      }
      return Arrays.stream(x).filter(d -> d != 1).toArray();
    }
    int rank = unsq ? x.length + axes.length : x.length;
    boolean[] marked = new boolean[rank];
    for (long a : axes) {
      marked[(int) (a < 0 ? a + rank : a)] = true;
    }
    long[] out = new long[unsq ? rank : x.length - axes.length];
    for (int i = 0, j = 0, k = 0; i < rank; i++) {
      if (unsq) {
        out[k++] = marked[i] ? 1 : x[j++];
      } else if (!marked[i]) {
        out[k++] = x[i];
      }
    }
    return out;
  }

  private long[] gemm(NodeProto n) throws InvalidModelException {
    long[] a = in(n, 0);
    long[] b = in(n, 1);
    boolean ta = intAttr(n, "transA", 0) == 1;
    boolean tb = intAttr(n, "transB", 0) == 1;
    long m = ta ? a[1] : a[0];
    long ka = ta ? a[0] : a[1];
    long kb = tb ? b[1] : b[0];
    long cols = tb ? b[0] : b[1];
    if (ka != kb) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (Gemm): inner dimensions differ: A " + Arrays.toString(a)
          + (ta ? "ᵀ" : "") + " and B " + Arrays.toString(b) + (tb ? "ᵀ" : ""));
    }
    return new long[] {m, cols};
  }

  private long[] matmul(NodeProto n) throws InvalidModelException {
    long[] a = in(n, 0);
    long[] b = in(n, 1);
    if (a.length < 2 || b.length < 2 || a[a.length - 1] != b[b.length - 2]) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (MatMul): cannot multiply " + Arrays.toString(a)
          + " by " + Arrays.toString(b));
    }
    long[] batchA = Arrays.copyOf(a, a.length - 2);
    long[] batchB = Arrays.copyOf(b, b.length - 2);
    long[] batch = broadcast(n, batchA, batchB);
    long[] out = Arrays.copyOf(batch, batch.length + 2);
    out[batch.length] = a[a.length - 2];
    out[batch.length + 1] = b[b.length - 1];
    return out;
  }

  private long[] constantNode(NodeProto n) throws InvalidModelException {
    TensorProto t = OnnxGraph.attribute(n, "value").map(a -> a.getT()).orElseThrow(
        () -> new UnsupportedOperatorException(nameOf(n), "Constant", "only the 'value' attribute is supported"));
    if (t.getDataType() == TensorProto.DataType.INT64.getNumber()
        || t.getDataType() == TensorProto.DataType.INT32.getNumber()) {
      constants.put(n.getOutput(0), OnnxGraph.longValues(t));
    }
    return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  private static long product(long[] s) {
    long p = 1;
    for (long d : s) {
      p *= d;
    }
    return p;
  }

  private static long[] filled(int n, long v) {
    long[] a = new long[n];
    Arrays.fill(a, v);
    return a;
  }

  private static long[] range(int n) {
    long[] a = new long[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
  }
}
