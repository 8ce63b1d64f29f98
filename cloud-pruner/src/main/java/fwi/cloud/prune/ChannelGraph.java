package fwi.cloud.prune;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InvalidModelException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The coupled channel groups of an ONNX model and, for every weight axis they index, how that axis
 * is laid out, which is all the pruner needs to remove channels consistently. Immutable.
 *
 * <p>Analysis follows the graph in topological order and tracks, for each activation tensor, which
 * groups its channel axis (axis 1) is made of: a Conv/ConvTranspose/Gemm starts a new group with
 * its weight's output axis; BatchNormalization, activations, channel-preserving Pad and Slice and
 * pooling pass groups through; Add and other elementwise ops merge the groups of their operands;
 * Concat along channels concatenates them; Flatten repeats each channel per spatial position.
 * Transpose, reductions, Split and Gather that leave axis 1 in place pass the groups through, and
 * Tile along channels repeats them (see {@link AxisChannels}). Anything that would mix, move or
 * reorder channels (grouped convolution, a crop or split of the channel axis, a softmax or
 * reduction over channels, a transpose or reshape that moves them, a gather that picks them)
 * freezes the groups involved, with the reason. Channels of graph inputs and outputs are always
 * frozen.
 */
public final class ChannelGraph {
  private final OnnxGraph graph;
  private final List<ChannelGroup> groups;
  /** initializer -> axis -> layout of that axis, for every member axis. */
  private final Map<String, Map<Integer, ResolvedLayout>> axes;
  /** node name -> layout whose total the node's {@code group} attribute must equal (depthwise convs). */
  private final Map<String, ResolvedLayout> groupAttributes;
  /** tensor -> layout of its channel axis, for dropping stale value_info after pruning. */
  private final Map<String, ResolvedLayout> tensors;

  /** A layout after union-find: segments refer to final group ids. */
  record ResolvedLayout(List<Layout.Segment> segments) {
    ResolvedLayout {
      segments = List.copyOf(segments);
    }

    boolean touches(java.util.Set<Integer> groupIds) {
      return segments.stream().anyMatch(s -> groupIds.contains(s.group()));
    }
  }

  ChannelGraph(OnnxGraph graph, List<ChannelGroup> groups, Map<String, Map<Integer, ResolvedLayout>> axes,
      Map<String, ResolvedLayout> groupAttributes, Map<String, ResolvedLayout> tensors) {
    this.graph = graph;
    this.groups = List.copyOf(groups);
    this.axes = axes;
    this.groupAttributes = groupAttributes;
    this.tensors = tensors;
  }

  /**
   * Analyses a model.
   *
   * @throws fwi.cloud.graph.UnsupportedOperatorException naming the node and op when the graph holds
   *     an operator the analysis does not know; nothing is guessed
   * @throws InvalidModelException when the graph's shapes contradict each other
   */
  public static ChannelGraph analyze(ModelProto model) throws InvalidModelException {
    return new ChannelAnalyzer(new OnnxGraph(model)).run();
  }

  public ModelProto model() {
    return graph.model();
  }

  OnnxGraph graph() {
    return graph;
  }

  /** Every group, frozen or not, in the order their producers appear. */
  public List<ChannelGroup> groups() {
    return groups;
  }

  /** The groups that may lose channels. */
  public List<ChannelGroup> prunable() {
    return groups.stream().filter(ChannelGroup::prunable).toList();
  }

  /** The group with this name, or whose producers include a node of this name. */
  public Optional<ChannelGroup> group(String name) {
    for (ChannelGroup g : groups) {
      if (g.name().equals(name)) {
        return Optional.of(g);
      }
    }
    return groups.stream().filter(g -> g.producers().contains(name)).findFirst();
  }

  Map<String, Map<Integer, ResolvedLayout>> axes() {
    return axes;
  }

  Map<String, ResolvedLayout> groupAttributes() {
    return groupAttributes;
  }

  Map<String, ResolvedLayout> tensors() {
    return tensors;
  }
}
