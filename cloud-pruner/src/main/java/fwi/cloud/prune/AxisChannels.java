package fwi.cloud.prune;

import static fwi.cloud.graph.OnnxGraph.intAttr;
import static fwi.cloud.graph.OnnxGraph.nameOf;

import ai.onnx.proto.OnnxMl.NodeProto;
import fwi.cloud.graph.AxisShapes;
import fwi.cloud.model.InvalidModelException;
import java.util.Arrays;
import java.util.Optional;

/**
 * Decides what Transpose, the Reduce family, Split, Tile and Gather do to the channel axis of
 * their data input. The rule is the same for all: an op that leaves axis 1 in place and every
 * channel whole passes the channels through; one that moves, reduces, splits or picks along them
 * loses them, because after pruning its arguments (a permutation, split sizes, indices) would no
 * longer describe the channels that are left. Tiling along channels is the one rearrangement that
 * stays exact without rewriting the op: the output is the kept channels repeated, which a layout
 * of repeated segments describes. Arguments arrive resolved (shapes inferred, constants read), so
 * the decisions are pure. Stateless.
 */
final class AxisChannels {
  private static final ChannelFate KEPT = new ChannelFate.Kept();

  private AxisChannels() {}

  /** Transpose keeps the channels when {@code perm[1] == 1}. */
  static ChannelFate transpose(NodeProto n, long[] x) throws InvalidModelException {
    long[] perm = AxisShapes.permutation(n, x.length);
    if (perm[1] == 1) {
      return KEPT;
    }
    int to = 0;
    while (perm[to] != 1) {
      to++;
    }
    return new ChannelFate.Lost("node '" + nameOf(n) + "' (Transpose with perm " + Arrays.toString(perm)
        + ") moves the channel axis to axis " + to);
  }

  /**
   * A reduction keeps the channels when it does not reduce axis 1 and, without keepdims, does not
   * remove axis 0 either (that would shift the channels to axis 0).
   *
   * @param axes the constant axes (attribute or input), empty for none; absent when computed at run time
   */
  static ChannelFate reduce(NodeProto n, long[] x, Optional<long[]> axes) throws InvalidModelException {
    String op = n.getOpType();
    if (axes.isEmpty()) {
      return new ChannelFate.Lost("axes of node '" + nameOf(n) + "' (" + op + ") are not constant");
    }
    boolean[] reduced = AxisShapes.reducedAxes(n, x.length, axes.get());
    String over = axes.get().length == 0 ? "over all axes" : "over axes " + Arrays.toString(axes.get());
    if (reduced[1]) {
      return new ChannelFate.Lost("node '" + nameOf(n) + "' (" + op + " " + over + ") reduces the channel axis");
    }
    if (reduced[0] && intAttr(n, "keepdims", 1) != 1) {
      return new ChannelFate.Lost("node '" + nameOf(n) + "' (" + op + " " + over + " without keepdims) removes axis 0, "
          + "moving the channels to axis 0");
    }
    return KEPT;
  }

  /** Split keeps the channels in every output when it splits another axis. */
  static ChannelFate split(NodeProto n, long[] x, long[][] outputs) throws InvalidModelException {
    int axis = AxisShapes.axis(n, intAttr(n, "axis", 0), x.length, "axis");
    if (axis != 1) {
      return KEPT;
    }
    long[] sizes = Arrays.stream(outputs).mapToLong(s -> s.length > 1 ? s[1] : 0).toArray();
    return new ChannelFate.Lost("node '" + nameOf(n) + "' (Split) splits the channel axis of " + x[1] + " into "
        + Arrays.toString(sizes));
  }

  /**
   * Tile keeps the channels when it repeats them once and tiles them when more: a pruned input
   * tiled by the same repeats gives exactly the kept channels of every copy.
   *
   * @param repeats the constant repeats, absent when computed at run time
   */
  static ChannelFate tile(NodeProto n, Optional<long[]> repeats) {
    if (repeats.isEmpty() || repeats.get().length < 2) {
      return new ChannelFate.Lost("repeats of node '" + nameOf(n) + "' (Tile) are not constant");
    }
    long r = repeats.get()[1];
    if (r == 1) {
      return KEPT;
    }
    if (r < 1 || r > Integer.MAX_VALUE) {
      return new ChannelFate.Lost("node '" + nameOf(n) + "' (Tile) repeats the channel axis " + r + " times");
    }
    return new ChannelFate.Tiled((int) r);
  }

  /**
   * Gather keeps the channels when it gathers along a spatial axis, or along the batch axis with
   * a 1-D index list; along the channel axis it picks channels by index, and along the batch axis
   * with scalar or multi-dimensional indices it moves them.
   */
  static ChannelFate gather(NodeProto n, long[] data, long[] indices) throws InvalidModelException {
    int axis = AxisShapes.axis(n, intAttr(n, "axis", 0), data.length, "axis");
    if (axis == 1) {
      return new ChannelFate.Lost("node '" + nameOf(n) + "' (Gather along axis 1) picks channels by index");
    }
    if (axis == 0 && indices.length != 1) {
      return new ChannelFate.Lost("node '" + nameOf(n) + "' (Gather along axis 0 with indices of rank " + indices.length
          + ") moves the channel axis to axis " + indices.length);
    }
    return KEPT;
  }
}
