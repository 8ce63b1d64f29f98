package fwi.cloud.graph;

import static fwi.cloud.graph.OnnxGraph.intAttr;
import static fwi.cloud.graph.OnnxGraph.nameOf;

import ai.onnx.proto.OnnxMl.NodeProto;
import fwi.cloud.model.InvalidModelException;
import java.util.Arrays;
import java.util.Optional;

/**
 * Output shapes of the ops whose arguments name axes: Transpose, the Reduce family, Split, Tile
 * and Gather. Pure functions of the input shapes and the already resolved constant arguments, so
 * {@link ShapeInference} decides where an argument comes from (attribute or input, by opset) and
 * this class only does the axis arithmetic. The channel analysis of the pruner reads the same
 * arguments through {@link #permutation} and {@link #reducedAxes}, so both agree on what an op
 * does. Every method throws {@link InvalidModelException} naming the node and the offending
 * argument when the arguments contradict the input shape. Stateless.
 */
public final class AxisShapes {
  private AxisShapes() {}

  /** Transpose: output axis {@code i} is input axis {@code perm[i]}; without {@code perm} the axes are reversed. */
  public static long[] transpose(NodeProto n, long[] x) throws InvalidModelException {
    long[] perm = permutation(n, x.length);
    long[] out = new long[x.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = x[(int) perm[i]];
    }
    return out;
  }

  /**
   * The {@code perm} attribute of a Transpose over {@code rank} axes, checked to be a permutation;
   * the reversed axes when it is absent (the ONNX default).
   */
  public static long[] permutation(NodeProto n, int rank) throws InvalidModelException {
    long[] perm = OnnxGraph.ints(n, "perm", null);
    if (perm == null) {
      perm = new long[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
      return perm;
    }
    boolean[] seen = new boolean[rank];
    boolean valid = perm.length == rank;
    for (int i = 0; valid && i < perm.length; i++) {
      valid = perm[i] >= 0 && perm[i] < rank && !seen[(int) perm[i]];
      if (valid) {
        seen[(int) perm[i]] = true;
      }
    }
    if (!valid) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (Transpose): perm " + Arrays.toString(perm)
          + " is not a permutation of the " + rank + " axes of its input");
    }
    return perm;
  }

  /**
   * A reduction (ReduceMean, ReduceSum, ...) over {@code axes}; every axis when {@code axes} is
   * empty, unless {@code noop_with_empty_axes} makes that the identity. Reduced axes become 1 with
   * {@code keepdims} (default 1) and disappear without it.
   *
   * @param axes the axes from the attribute or the constant input, empty when neither gives any
   */
  public static long[] reduce(NodeProto n, long[] x, long[] axes) throws InvalidModelException {
    boolean[] reduced = reducedAxes(n, x.length, axes);
    boolean keep = intAttr(n, "keepdims", 1) == 1;
    long[] out = new long[x.length];
    int k = 0;
    for (int i = 0; i < x.length; i++) {
      if (!reduced[i]) {
        out[k++] = x[i];
      } else if (keep) {
        out[k++] = 1;
      }
    }
    return Arrays.copyOf(out, k);
  }

  /** Which of {@code rank} axes a reduction with these {@code axes} reduces, following the rules of {@link #reduce}. */
  public static boolean[] reducedAxes(NodeProto n, int rank, long[] axes) throws InvalidModelException {
    boolean[] reduced = new boolean[rank];
    if (axes.length == 0) {
      Arrays.fill(reduced, intAttr(n, "noop_with_empty_axes", 0) != 1);
      return reduced;
    }
    for (long a : axes) {
      reduced[axis(n, a, rank, "axes " + Arrays.toString(axes))] = true;
    }
    return reduced;
  }

  /**
   * Split along {@code axis} (default 0) into the sizes given by the {@code split} input or
   * attribute; without them into {@code num_outputs} chunks of {@code ceil(dim / num_outputs)} (the
   * last smaller, opset 18) or into as many equal parts as the node has outputs.
   *
   * @param sizes the split sizes from the constant input (opset 13 on) or the attribute (before), if any
   */
  public static long[][] split(NodeProto n, long[] x, Optional<long[]> sizes) throws InvalidModelException {
    int axis = axis(n, intAttr(n, "axis", 0), x.length, "axis");
    int parts = n.getOutputCount();
    long dim = x[axis];
    long[] s;
    if (sizes.isPresent()) {
      s = sizes.get();
    } else if (OnnxGraph.attribute(n, "num_outputs").isPresent()) {
      long chunk = Math.floorDiv(dim + parts - 1, parts);
      s = new long[parts];
      for (int i = 0; i < parts; i++) {
        s[i] = Math.max(0, Math.min(chunk, dim - chunk * i));
      }
    } else {
      if (parts == 0 || dim % parts != 0) {
        throw new InvalidModelException("node '" + nameOf(n) + "' (Split): axis " + axis + " of " + Arrays.toString(x)
            + " cannot be split into " + parts + " equal parts");
      }
      s = new long[parts];
      Arrays.fill(s, dim / parts);
    }
    if (s.length != parts || Arrays.stream(s).sum() != dim || Arrays.stream(s).anyMatch(v -> v < 0)) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (Split): sizes " + Arrays.toString(s) + " must be "
          + parts + " non-negative values summing to " + dim + ", the size of axis " + axis + " of "
          + Arrays.toString(x));
    }
    long[][] out = new long[parts][];
    for (int i = 0; i < parts; i++) {
      out[i] = x.clone();
      out[i][axis] = s[i];
    }
    return out;
  }

  /** Tile: every axis {@code i} repeated {@code repeats[i]} times. */
  public static long[] tile(NodeProto n, long[] x, long[] repeats) throws InvalidModelException {
    if (repeats.length != x.length || Arrays.stream(repeats).anyMatch(r -> r < 0)) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (Tile): repeats " + Arrays.toString(repeats)
          + " must be " + x.length + " non-negative counts, one per axis of " + Arrays.toString(x));
    }
    long[] out = new long[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] * repeats[i];
    }
    return out;
  }

  /**
   * Gather along {@code axis} (default 0): the data's axis is replaced by all axes of the indices,
   * {@code data[:axis] + indices + data[axis+1:]}. Only the shape of the indices matters, so
   * indices computed at run time (an embedding lookup) are fine.
   */
  public static long[] gather(NodeProto n, long[] data, long[] indices) throws InvalidModelException {
    int axis = axis(n, intAttr(n, "axis", 0), data.length, "axis");
    long[] out = new long[data.length - 1 + indices.length];
    int k = 0;
    for (int i = 0; i < axis; i++) {
      out[k++] = data[i];
    }
    for (long d : indices) {
      out[k++] = d;
    }
    for (int i = axis + 1; i < data.length; i++) {
      out[k++] = data[i];
    }
    return out;
  }

  /** An axis argument in {@code [-rank, rank)}, made non-negative. */
  public static int axis(NodeProto n, long a, int rank, String what) throws InvalidModelException {
    if (a < -rank || a >= rank) {
      throw new InvalidModelException("node '" + nameOf(n) + "' (" + n.getOpType() + "): " + what + " names axis " + a
          + ", outside the " + rank + " axes of its input");
    }
    return (int) (a < 0 ? a + rank : a);
  }
}
