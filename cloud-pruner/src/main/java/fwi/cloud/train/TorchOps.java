package fwi.cloud.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.graph.UnsupportedOperatorException;
import fwi.cloud.model.InvalidModelException;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * One libtorch kernel per ONNX op, with ONNX's semantics (opsets 1 to 17 where they differ).
 * Settings that ONNX passes as integer inputs (pads, starts, shape, axes) must be constants of the
 * graph; {@link #check} refuses anything else before any data flows.
 *
 * <p>The run's {@code training} flag, not the graph, decides whether BatchNormalization uses batch
 * statistics and Dropout drops: BatchNormalization's {@code training_mode} attribute and Dropout's
 * {@code training_mode} input are ignored, so one exported graph serves both training and eval.
 */
final class TorchOps {
  /** Ops with a kernel here, for error messages. */
  static final Set<String> SUPPORTED = Set.of("Conv", "ConvTranspose", "BatchNormalization", "LeakyRelu", "Relu",
      "Tanh", "Sigmoid", "Pad", "Slice", "Add", "Sub", "Mul", "Div", "Concat", "Identity", "Abs", "Log", "Sign",
      "Exp", "Sqrt", "Neg", "Reciprocal", "Clip", "Constant", "Flatten", "Reshape", "Gemm", "MatMul", "MaxPool",
      "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Dropout", "Transpose", "Unsqueeze", "Squeeze",
      "ReduceMean", "Softmax");

  private final long opset;
  private final Map<String, TensorProto> constants;

  TorchOps(long opset, Map<String, TensorProto> constants) {
    this.opset = opset;
    this.constants = constants;
  }

  /** Refuses a node this executor cannot run, before any data flows. */
  void check(NodeProto n) throws InvalidModelException {
    String op = n.getOpType();
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      throw unsupported(n, "domain '" + n.getDomain() + "' is not supported");
    }
    if (!SUPPORTED.contains(op)) {
      throw unsupported(n, "the training executor has no kernel for it; supported: " + new java.util.TreeSet<>(SUPPORTED));
    }
    switch (op) {
      case "Pad" -> {
        String mode = OnnxGraph.stringAttr(n, "mode", "constant");
        if (!mode.equals("constant")) {
          throw unsupported(n, "mode '" + mode + "' is not supported, only 'constant'");
        }
        if (opset >= 11) {
          constantLongs(n, 1);
          if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
            constantLongs(n, 3);
          }
        }
      }
      case "Slice" -> {
        if (opset >= 10) {
          for (int i = 1; i < n.getInputCount(); i++) {
            if (!n.getInput(i).isEmpty()) {
              constantLongs(n, i);
            }
          }
        }
        for (long s : sliceSettings(n)[3]) {
          if (s <= 0) {
            throw unsupported(n, "step " + s + " is not supported, only positive steps");
          }
        }
      }
      case "Reshape" -> constantLongs(n, 1);
      case "ReduceMean" -> {
        if (opset >= 18 && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
          constantLongs(n, 1);
        }
      }
      case "Unsqueeze", "Squeeze" -> {
        if (opset >= 13 && n.getInputCount() > 1) {
          constantLongs(n, 1);
        }
      }
      case "MaxPool", "AveragePool" -> {
        if (n.getOutputCount() > 1 && !n.getOutput(1).isEmpty()) {
          throw unsupported(n, "the Indices output is not supported");
        }
        for (long d : OnnxGraph.ints(n, "dilations", new long[0])) {
          if (d != 1) {
            throw unsupported(n, "dilations " + Arrays.toString(OnnxGraph.ints(n, "dilations", new long[0]))
                + " are not supported, only 1");
          }
        }
        String autoPad = OnnxGraph.stringAttr(n, "auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) {
          throw unsupported(n, "auto_pad " + autoPad + " is not supported for pooling");
        }
      }
      case "Softmax" -> {
        if (opset < 13) {
          throw unsupported(n, "Softmax before opset 13 (flattening semantics) is not supported; opset is " + opset);
        }
      }
      case "ConvTranspose", "Conv" -> {
        String autoPad = OnnxGraph.stringAttr(n, "auto_pad", "NOTSET");
        if (!Set.of("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER").contains(autoPad)) {
          throw unsupported(n, "auto_pad '" + autoPad + "' is not an ONNX value");
        }
      }
      default -> {
      }
    }
  }

  /** Runs one node; {@code in[i]} is null for an absent optional input. */
  NDArray[] apply(NodeProto n, NDArray[] in, boolean training) throws IllegalArgumentException {
    NDArray x = in.length > 0 ? in[0] : null;
    return switch (n.getOpType()) {
      case "Conv" -> one(conv(n, x, in[1], opt(in, 2)));
      case "ConvTranspose" -> one(convTranspose(n, x, in[1], opt(in, 2)));
      case "BatchNormalization" -> one(x.getNDArrayInternal().batchNorm(x, in[3], in[4], in[1], in[2], 1,
          floatAttr(n, "momentum", 0.9f), floatAttr(n, "epsilon", 1e-5f), training).singletonOrThrow());
      case "LeakyRelu" -> one(Activation.leakyRelu(x, floatAttr(n, "alpha", 0.01f)));
      case "Relu" -> one(Activation.relu(x));
      case "Tanh" -> one(x.tanh());
      case "Sigmoid" -> one(x.getNDArrayInternal().sigmoid());
      case "Pad" -> one(pad(n, x, in));
      case "Slice" -> one(slice(n, x));
      case "Add" -> one(x.add(in[1]));
      case "Sub" -> one(x.sub(in[1]));
      case "Mul" -> one(x.mul(in[1]));
      case "Div" -> one(x.div(in[1]));
      case "Concat" -> one(NDArrays.concat(new NDList(in), axis(n, "axis", 0, x.getShape().dimension())));
      case "Identity" -> one(x);
      case "Abs" -> one(x.abs());
      case "Log" -> one(x.log());
      case "Sign" -> one(x.sign());
      case "Exp" -> one(x.exp());
      case "Sqrt" -> one(x.sqrt());
      case "Neg" -> one(x.neg());
      case "Reciprocal" -> one(x.getNDArrayInternal().rdiv(1f));
      case "Clip" -> one(clip(n, x, in));
      case "Flatten" -> one(flatten(n, x));
      case "Reshape" -> one(x.reshape(reshapeTarget(n, x.getShape())));
      case "Gemm" -> one(gemm(n, x, in[1], opt(in, 2)));
      case "MatMul" -> one(x.matMul(in[1]));
      case "MaxPool" -> one(pool(n, x, true));
      case "AveragePool" -> one(pool(n, x, false));
      case "GlobalAveragePool" -> one(mean(x, spatialAxes(x), true));
      case "GlobalMaxPool" -> one(globalMax(x));
      case "Dropout" -> dropout(n, x, in, training);
      case "Transpose" -> one(x.transpose(transposePerm(n, x.getShape().dimension())));
      case "Unsqueeze" -> one(unsqueeze(n, x));
      case "Squeeze" -> one(squeeze(n, x));
      case "ReduceMean" -> one(reduceMean(n, x));
      case "Softmax" -> one(x.softmax(axis(n, "axis", -1, x.getShape().dimension())));
      default -> throw new IllegalArgumentException("node '" + OnnxGraph.nameOf(n) + "' (" + n.getOpType()
          + "): no kernel");
    };
  }

  // --- convolutions -----------------------------------------------------------------------------

  private NDArray conv(NodeProto n, NDArray x, NDArray w, NDArray b) {
    int k = w.getShape().dimension() - 2;
    long[] strides = OnnxGraph.ints(n, "strides", ones(k));
    long[] dil = OnnxGraph.ints(n, "dilations", ones(k));
    long[] pads = OnnxGraph.ints(n, "pads", new long[2 * k]);
    String autoPad = OnnxGraph.stringAttr(n, "auto_pad", "NOTSET");
    if (autoPad.equals("VALID")) {
      pads = new long[2 * k];
    } else if (autoPad.startsWith("SAME")) {
      pads = new long[2 * k];
      for (int i = 0; i < k; i++) {
        long size = x.getShape().get(2 + i);
        long out = (size + strides[i] - 1) / strides[i];
        long total = Math.max(0, (out - 1) * strides[i] + (w.getShape().get(2 + i) - 1) * dil[i] + 1 - size);
        long small = total / 2;
        pads[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
        pads[i + k] = total - pads[i];
      }
    }
    long[] symmetric = new long[k];
    boolean asymmetric = false;
    for (int i = 0; i < k; i++) {
      symmetric[i] = pads[i];
      asymmetric |= pads[i] != pads[i + k];
    }
    if (asymmetric) {
      x = Padding.apply(x, pads, 0);
      symmetric = new long[k];
    }
    return x.getNDArrayInternal().convolution(x, w, b, new Shape(strides), new Shape(symmetric), new Shape(dil),
        (int) OnnxGraph.intAttr(n, "group", 1)).singletonOrThrow();
  }

  /**
   * ConvTranspose with ONNX's pads, output_padding, output_shape and auto_pad, on the full output
   * of {@link TransposedConv}.
   */
  private NDArray convTranspose(NodeProto n, NDArray x, NDArray w, NDArray b) {
    int k = w.getShape().dimension() - 2;
    long[] strides = OnnxGraph.ints(n, "strides", ones(k));
    long[] dil = OnnxGraph.ints(n, "dilations", ones(k));
    long[] outPad = OnnxGraph.ints(n, "output_padding", new long[k]);
    long[] pads = OnnxGraph.ints(n, "pads", new long[2 * k]);
    long[] outShape = OnnxGraph.ints(n, "output_shape", new long[0]);
    String autoPad = OnnxGraph.stringAttr(n, "auto_pad", "NOTSET");
    if (outShape.length > 0 || autoPad.startsWith("SAME")) {
      pads = new long[2 * k];
      for (int i = 0; i < k; i++) {
        long size = x.getShape().get(2 + i);
        long target = outShape.length > 0 ? outShape[outShape.length - k + i] : size * strides[i];
        long total = strides[i] * (size - 1) + outPad[i] + (w.getShape().get(2 + i) - 1) * dil[i] + 1 - target;
        if (total < 0) {
          // Larger than the full output: the extra rows take no input, only the bias.
          outPad[i] -= total;
          total = 0;
        }
        long half = total / 2;
        pads[i] = autoPad.equals("SAME_UPPER") ? half : total - half;
        pads[i + k] = total - pads[i];
      }
    } else if (autoPad.equals("VALID")) {
      pads = new long[2 * k];
    }
    NDArray y = TransposedConv.full(x, w, strides, dil, (int) OnnxGraph.intAttr(n, "group", 1));
    // Crop the pads, extend by output_padding (rows no input reaches: they hold only the bias).
    long[] edges = new long[2 * k];
    boolean any = false;
    for (int i = 0; i < k; i++) {
      edges[i] = -pads[i];
      edges[i + k] = outPad[i] - pads[i + k];
      any |= edges[i] != 0 || edges[i + k] != 0;
    }
    if (any) {
      y = Padding.apply(y, edges, 0);
    }
    if (b == null) {
      return y;
    }
    long[] bias = new long[k + 1];
    Arrays.fill(bias, 1);
    bias[0] = b.getShape().get(0);
    return y.add(b.reshape(new Shape(bias)));
  }

  // --- shape ops --------------------------------------------------------------------------------

  private NDArray pad(NodeProto n, NDArray x, NDArray[] in) {
    int rank = x.getShape().dimension();
    long[] pads;
    float value;
    long[] axes = null;
    if (opset >= 11) {
      pads = longs(n, 1);
      value = in.length > 2 && in[2] != null ? in[2].toFloatArray()[0] : 0f;
      if (n.getInputCount() > 3 && !n.getInput(3).isEmpty()) {
        axes = longs(n, 3);
      }
    } else {
      // Pad-1 named the attribute "paddings".
      pads = OnnxGraph.ints(n, opset < 2 ? "paddings" : "pads", new long[2 * rank]);
      value = floatAttr(n, "value", 0f);
    }
    if (axes != null) {
      long[] full = new long[2 * rank];
      for (int i = 0; i < axes.length; i++) {
        int a = (int) (axes[i] < 0 ? axes[i] + rank : axes[i]);
        full[a] = pads[i];
        full[a + rank] = pads[i + axes.length];
      }
      pads = full;
    }
    if (pads.length != 2 * rank) {
      throw new IllegalArgumentException("node '" + OnnxGraph.nameOf(n) + "' (Pad): " + pads.length
          + " pads for a rank-" + rank + " input " + x.getShape() + ", expected " + 2 * rank);
    }
    return Padding.apply(x, pads, value);
  }

  private long[][] sliceSettings(NodeProto n) throws InvalidModelException {
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps;
    if (opset >= 10) {
      starts = constantLongs(n, 1);
      ends = constantLongs(n, 2);
      axes = n.getInputCount() > 3 && !n.getInput(3).isEmpty() ? constantLongs(n, 3) : null;
      steps = n.getInputCount() > 4 && !n.getInput(4).isEmpty() ? constantLongs(n, 4) : null;
    } else {
      starts = OnnxGraph.ints(n, "starts", new long[0]);
      ends = OnnxGraph.ints(n, "ends", new long[0]);
      axes = OnnxGraph.attribute(n, "axes").isPresent() ? OnnxGraph.ints(n, "axes", new long[0]) : null;
      steps = null;
    }
    if (axes == null) {
      axes = new long[starts.length];
      for (int i = 0; i < axes.length; i++) {
        axes[i] = i;
      }
    }
    if (steps == null) {
      steps = new long[starts.length];
      Arrays.fill(steps, 1);
    }
    return new long[][] {starts, ends, axes, steps};
  }

  private NDArray slice(NodeProto n, NDArray x) {
    long[][] s;
    try {
      s = sliceSettings(n);
    } catch (InvalidModelException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    Shape shape = x.getShape();
    int rank = shape.dimension();
    long[] from = new long[rank];
    long[] to = shape.getShape().clone();
    long[] step = ones(rank);
    for (int i = 0; i < s[0].length; i++) {
      int a = (int) (s[2][i] < 0 ? s[2][i] + rank : s[2][i]);
      long dim = shape.get(a);
      from[a] = clampIndex(s[0][i], dim);
      to[a] = Math.max(from[a], clampIndex(s[1][i], dim));
      step[a] = s[3][i];
    }
    NDIndex index = new NDIndex();
    for (int a = 0; a < rank; a++) {
      index.addSliceDim(from[a], to[a], step[a]);
    }
    return x.get(index);
  }

  private static long clampIndex(long i, long dim) {
    long v = i < 0 ? i + dim : i;
    return Math.max(0, Math.min(dim, v));
  }

  private NDArray clip(NodeProto n, NDArray x, NDArray[] in) {
    float lo;
    float hi;
    if (opset >= 11) {
      lo = in.length > 1 && in[1] != null ? in[1].toFloatArray()[0] : Float.NEGATIVE_INFINITY;
      hi = in.length > 2 && in[2] != null ? in[2].toFloatArray()[0] : Float.POSITIVE_INFINITY;
    } else {
      lo = floatAttr(n, "min", -Float.MAX_VALUE);
      hi = floatAttr(n, "max", Float.MAX_VALUE);
    }
    return x.clip(lo, hi);
  }

  private static NDArray flatten(NodeProto n, NDArray x) {
    Shape s = x.getShape();
    int axis = (int) OnnxGraph.intAttr(n, "axis", 1);
    if (axis < 0) {
      axis += s.dimension();
    }
    long outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= s.get(i);
    }
    return x.reshape(outer, s.size() / Math.max(1, outer));
  }

  private Shape reshapeTarget(NodeProto n, Shape in) {
    long[] target = longs(n, 1).clone();
    boolean allowZero = OnnxGraph.intAttr(n, "allowzero", 0) == 1;
    for (int i = 0; i < target.length; i++) {
      if (target[i] == 0 && !allowZero) {
        target[i] = in.get(i);
      }
    }
    return new Shape(target);
  }

  private static NDArray gemm(NodeProto n, NDArray a, NDArray b, NDArray c) {
    if (OnnxGraph.intAttr(n, "transA", 0) == 1) {
      a = a.transpose();
    }
    if (OnnxGraph.intAttr(n, "transB", 0) == 1) {
      b = b.transpose();
    }
    NDArray y = a.matMul(b);
    float alpha = floatAttr(n, "alpha", 1f);
    if (alpha != 1f) {
      y = y.mul(alpha);
    }
    if (c != null) {
      float beta = floatAttr(n, "beta", 1f);
      y = y.add(beta == 1f ? c : c.mul(beta));
    }
    return y;
  }

  /**
   * MaxPool and AveragePool. Pads go to libtorch only where it accepts them (symmetric, at most
   * half the kernel, max pooling); otherwise they are applied here: {@code -inf} for max pooling so
   * padding never wins, zeros for average pooling. DJL 0.35.1's PyTorch {@code avgPool} ignores its
   * count_include_pad flag and always counts pads, so average pooling over pads divides by the
   * pooled mask of real elements when ONNX's count_include_pad is 0 (its default).
   */
  private static NDArray pool(NodeProto n, NDArray x, boolean max) {
    long[] kernel = OnnxGraph.ints(n, "kernel_shape", new long[0]);
    int k = kernel.length;
    long[] strides = OnnxGraph.ints(n, "strides", ones(k));
    long[] pads = OnnxGraph.stringAttr(n, "auto_pad", "NOTSET").equals("VALID") ? new long[2 * k]
        : OnnxGraph.ints(n, "pads", new long[2 * k]);
    boolean ceil = OnnxGraph.intAttr(n, "ceil_mode", 0) == 1;
    boolean padded = false;
    boolean torchPads = true;
    for (int i = 0; i < k; i++) {
      padded |= pads[i] != 0 || pads[i + k] != 0;
      torchPads &= pads[i] == pads[i + k] && 2 * pads[i] <= kernel[i];
    }
    Shape window = new Shape(kernel);
    Shape step = new Shape(strides);
    Shape none = new Shape(new long[k]);
    if (max) {
      if (torchPads) {
        return x.getNDArrayInternal().maxPool(window, step, new Shape(Arrays.copyOf(pads, k)), ceil);
      }
      return Padding.apply(x, pads, Float.NEGATIVE_INFINITY).getNDArrayInternal().maxPool(window, step, none, ceil);
    }
    if (!padded) {
      return x.getNDArrayInternal().avgPool(window, step, none, ceil, true);
    }
    NDArray sum = Padding.apply(x, pads, 0).getNDArrayInternal().avgPool(window, step, none, ceil, true);
    if (OnnxGraph.intAttr(n, "count_include_pad", 0) == 1) {
      return sum;
    }
    // [1, 1, spatial...] of ones where x is real, zeros in the pads; broadcast over N and C.
    long[] maskShape = x.getShape().getShape().clone();
    maskShape[0] = 1;
    maskShape[1] = 1;
    NDArray mask = Padding.apply(x.getManager().ones(new Shape(maskShape), x.getDataType()), pads, 0);
    return sum.div(mask.getNDArrayInternal().avgPool(window, step, none, ceil, true));
  }

  /** Max over every spatial axis (DJL's PyTorch max takes one axis only). */
  private static NDArray globalMax(NDArray x) {
    Shape s = x.getShape();
    long[] keep = new long[s.dimension()];
    Arrays.fill(keep, 1);
    keep[0] = s.get(0);
    keep[1] = s.get(1);
    return x.reshape(s.get(0), s.get(1), -1).max(new int[] {2}, true).reshape(new Shape(keep));
  }

  private NDArray[] dropout(NodeProto n, NDArray x, NDArray[] in, boolean training) {
    float ratio = opset >= 12 ? (in.length > 1 && in[1] != null ? in[1].toFloatArray()[0] : 0.5f)
        : floatAttr(n, "ratio", 0.5f);
    NDArray y = training && ratio > 0 ? x.getNDArrayInternal().dropout(x, ratio, true).singletonOrThrow() : x;
    return new NDArray[] {y};
  }

  private static int[] transposePerm(NodeProto n, int rank) {
    long[] perm = OnnxGraph.ints(n, "perm", new long[0]);
    int[] p = new int[rank];
    for (int i = 0; i < rank; i++) {
      p[i] = perm.length == 0 ? rank - 1 - i : (int) perm[i];
    }
    return p;
  }

  private long[] axesOf(NodeProto n) {
    if (opset >= 13 && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      return longs(n, 1);
    }
    return OnnxGraph.ints(n, "axes", new long[0]);
  }

  private NDArray unsqueeze(NodeProto n, NDArray x) {
    long[] axes = axesOf(n).clone();
    int rank = x.getShape().dimension() + axes.length;
    for (int i = 0; i < axes.length; i++) {
      axes[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
    }
    Arrays.sort(axes);
    NDArray y = x;
    for (long a : axes) {
      y = y.expandDims((int) a);
    }
    return y;
  }

  private NDArray squeeze(NodeProto n, NDArray x) {
    long[] axes = axesOf(n);
    if (axes.length == 0) {
      return x.squeeze();
    }
    int rank = x.getShape().dimension();
    int[] a = new int[axes.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = (int) (axes[i] < 0 ? axes[i] + rank : axes[i]);
    }
    return x.squeeze(a);
  }

  /** ReduceMean; from opset 18 the axes are an optional input, and no axes may mean "none". */
  private NDArray reduceMean(NodeProto n, NDArray x) {
    long[] axes = opset >= 18 ? (n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? longs(n, 1) : new long[0])
        : OnnxGraph.ints(n, "axes", new long[0]);
    if (axes.length == 0 && OnnxGraph.intAttr(n, "noop_with_empty_axes", 0) == 1) {
      return x;
    }
    boolean keep = OnnxGraph.intAttr(n, "keepdims", 1) == 1;
    int rank = x.getShape().dimension();
    int[] a = new int[axes.length == 0 ? rank : axes.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = axes.length == 0 ? i : (int) (axes[i] < 0 ? axes[i] + rank : axes[i]);
    }
    return mean(x, a, keep);
  }

  /** Mean over several axes (DJL's PyTorch mean takes one axis only). */
  static NDArray mean(NDArray x, int[] axes, boolean keep) {
    long count = 1;
    for (int a : axes) {
      count *= x.getShape().get(a);
    }
    return x.sum(axes, keep).div(count);
  }

  // --- helpers ----------------------------------------------------------------------------------

  private long[] constantLongs(NodeProto n, int input) throws InvalidModelException {
    String name = n.getInput(input);
    TensorProto t = constants.get(name);
    if (t == null) {
      throw unsupported(n, "input " + input + " ('" + name + "') must be a constant (initializer or Constant node); "
          + "computed settings are not supported");
    }
    return OnnxGraph.longValues(t);
  }

  private long[] longs(NodeProto n, int input) {
    try {
      return constantLongs(n, input);
    } catch (InvalidModelException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  private static int[] spatialAxes(NDArray x) {
    int[] a = new int[x.getShape().dimension() - 2];
    for (int i = 0; i < a.length; i++) {
      a[i] = i + 2;
    }
    return a;
  }

  private static int axis(NodeProto n, String name, long fallback, int rank) {
    long a = OnnxGraph.intAttr(n, name, fallback);
    return (int) (a < 0 ? a + rank : a);
  }

  private static float floatAttr(NodeProto n, String name, float fallback) {
    return OnnxGraph.attribute(n, name).map(a -> a.getF()).orElse(fallback);
  }

  private static long[] ones(int k) {
    long[] v = new long[k];
    Arrays.fill(v, 1);
    return v;
  }

  private static NDArray opt(NDArray[] in, int i) {
    return in.length > i ? in[i] : null;
  }

  private static NDArray[] one(NDArray a) {
    return new NDArray[] {a};
  }

  private static UnsupportedOperatorException unsupported(NodeProto n, String detail) {
    return new UnsupportedOperatorException(OnnxGraph.nameOf(n), n.getOpType(), detail);
  }
}
