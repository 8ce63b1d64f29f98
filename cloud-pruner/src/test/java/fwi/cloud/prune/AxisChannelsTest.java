package fwi.cloud.prune;

import static fwi.cloud.model.GraphBuilder.floatValue;
import static fwi.cloud.model.GraphBuilder.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.model.GraphBuilder;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Transpose, reductions, Split, Tile and Gather between two convolutions: {@code y = head(op(relu(conv_a(x))))}
 * with {@code conv_a} making 8 channels. Where the op keeps (or tiles) the channels, conv_a's group
 * is pruned after zeroing three of its filters and the output must not change; where it moves,
 * reduces, splits or picks them, the group is frozen with the reason.
 */
class AxisChannelsTest {
  private static final String SHA = "0".repeat(64);
  private static final int[] ZEROED = {1, 4, 6};

  /**
   * {@code y = head(op(relu(conv_a(x))))} for x {@code [N, 3, h, w]}; {@code op} adds the nodes
   * between and returns the tensor the head reads, of {@code headIn} channels and output size {@code out}.
   */
  private static ModelProto between(int h, int w, int headIn, long[] out, BiFunction<GraphBuilder, String, String> op) {
    SplittableRandom r = new SplittableRandom(7);
    GraphBuilder g = new GraphBuilder("between");
    g.input(floatValue("x", -1, 3, h, w));
    g.output(floatValue("y", -1, 2, out[0], out[1]));
    String a = Fixtures.relu(g, Fixtures.conv(g, r, "conv_a", "x", 3, 8, 1));
    Fixtures.head(g, r, op.apply(g, a), headIn);
    return Fixtures.model(g);
  }

  /** Zeroes three filters of conv_a, prunes exactly those, and compares outputs; returns the pruned model. */
  private static ModelProto assertPrunesExactly(ModelProto m, int h, int w) throws Exception {
    m = Fixtures.zero(m, "conv_a.weight", 0, ZEROED);
    m = Fixtures.zero(m, "conv_a.bias", 0, ZEROED);
    ChannelGraph cg = ChannelGraph.analyze(m);
    assertTrue(cg.group("conv_a").orElseThrow().prunable(), cg.groups().toString());
    PruneResult r = Pruner.prune(cg, SHA, new PrunePlan("layers", Map.of("conv_a", 5), Map.of()), Criterion.L1, 0);
    assertArrayEquals(new long[] {5, 3, 3, 3}, Fixtures.dims(r.model(), "conv_a.weight"));
    FloatTensor x = Fixtures.noise(Shape.of(2, 3, h, w), 9, -1, 1);
    assertEquals(0.0, Fixtures.maxAbsDiff(Fixtures.run(m, x), Fixtures.run(r.model(), x)), 1e-5);
    return r.model();
  }

  private static void assertFrozen(ModelProto m, String reason) throws Exception {
    ChannelGroup g = ChannelGraph.analyze(m).group("conv_a").orElseThrow();
    assertFalse(g.prunable());
    assertEquals(reason, g.frozenReason().orElseThrow());
  }

  @Test
  void transposeOfTheSpatialAxesKeepsTheChannels() throws Exception {
    ModelProto m = between(6, 10, 8, new long[] {10, 6},
        (g, a) -> g.node("Transpose", "swap", new String[] {a}, ints("perm", 0, 1, 3, 2)));
    assertPrunesExactly(m, 6, 10);
  }

  @Test
  void transposeMovingTheChannelAxisFreezesItsGroup() throws Exception {
    ModelProto m = between(8, 8, 8, new long[] {8, 8},
        (g, a) -> g.node("Transpose", "swap", new String[] {a}, ints("perm", 0, 2, 1, 3)));
    assertFrozen(m, "node 'swap' (Transpose with perm [0, 2, 1, 3]) moves the channel axis to axis 2");
  }

  @Test
  void reduceMeanOverHeightWithKeepdimsKeepsTheChannels() throws Exception {
    ModelProto m = between(6, 8, 8, new long[] {1, 8},
        (g, a) -> g.node("ReduceMean", "mean", new String[] {a}, ints("axes", 2), Fixtures.intAttr("keepdims", 1)));
    assertPrunesExactly(m, 6, 8);
  }

  @Test
  void reduceSumWithAxesAsInputAndNoKeepdimsKeepsTheChannels() throws Exception {
    // Opset 13 moved ReduceSum's axes to an input; without keepdims the width is gone and Unsqueeze restores it.
    ModelProto m = between(6, 8, 8, new long[] {6, 1}, (g, a) -> {
      String s = g.node("ReduceSum", "sum", new String[] {a, g.longs("sum.axes", 3)}, Fixtures.intAttr("keepdims", 0));
      return g.node("Unsqueeze", "unsqueeze", new String[] {s, g.longs("unsqueeze.axes", 3)});
    });
    assertPrunesExactly(m, 6, 8);
  }

  @Test
  void reductionOverChannelsFreezesItsGroup() throws Exception {
    ModelProto m = between(8, 8, 1, new long[] {8, 8},
        (g, a) -> g.node("ReduceMean", "mean", new String[] {a}, ints("axes", 1)));
    assertFrozen(m, "node 'mean' (ReduceMean over axes [1]) reduces the channel axis");
  }

  @Test
  void splitOfTheHeightIntoGivenSizesKeepsTheChannelsOfBothParts() throws Exception {
    ModelProto m = between(8, 8, 8, new long[] {8, 8}, (g, a) -> {
      List<String> parts = g.node("Split", "split", List.of("top", "bottom"), new String[] {a, g.longs("sizes", 3, 5)},
          Fixtures.intAttr("axis", 2));
      return g.node("Concat", "join", new String[] {parts.get(1), parts.get(0)}, Fixtures.intAttr("axis", 2));
    });
    assertPrunesExactly(m, 8, 8);
  }

  @Test
  void equalSplitOfTheWidthMergesBothPartsIntoOneGroup() throws Exception {
    ModelProto m = between(8, 8, 8, new long[] {8, 4}, (g, a) -> {
      List<String> parts = g.node("Split", "split", List.of("left", "right"), new String[] {a},
          Fixtures.intAttr("axis", -1));
      return g.node("Add", "sum", new String[] {parts.get(0), parts.get(1)});
    });
    assertPrunesExactly(m, 8, 8);
  }

  @Test
  void splitOfTheChannelsFreezesItsGroup() throws Exception {
    ModelProto m = between(8, 8, 4, new long[] {8, 8}, (g, a) -> {
      List<String> parts = g.node("Split", "split", List.of("p", "q"), new String[] {a}, Fixtures.intAttr("axis", 1));
      return g.node("Add", "sum", new String[] {parts.get(0), parts.get(1)});
    });
    assertFrozen(m, "node 'split' (Split) splits the channel axis of 8 into [4, 4]");
  }

  @Test
  void tileOfTheHeightKeepsTheChannels() throws Exception {
    ModelProto m = between(4, 6, 8, new long[] {8, 6},
        (g, a) -> g.node("Tile", "tile", new String[] {a, g.longs("repeats", 1, 1, 2, 1)}));
    assertPrunesExactly(m, 4, 6);
  }

  @Test
  void tileOfTheChannelsPrunesTheSameChannelsInEveryCopy() throws Exception {
    ModelProto m = between(6, 6, 16, new long[] {6, 6},
        (g, a) -> g.node("Tile", "tile", new String[] {a, g.longs("repeats", 1, 2, 1, 1)}));
    ModelProto pruned = assertPrunesExactly(m, 6, 6);
    assertArrayEquals(new long[] {2, 10, 3, 3}, Fixtures.dims(pruned, "head.weight"));
    ChannelGraph cg = ChannelGraph.analyze(m);
    Map<Integer, Integer> keep = Map.of(cg.group("conv_a").orElseThrow().id(), 5);
    assertEquals(ModelCounter.count(pruned).params(), new LayerChannels(cg).params(keep), "planners count both copies");
    assertEquals(ModelCounter.count(pruned).macs(), new LayerChannels(cg).macs(keep));
  }

  @Test
  void gatherOfRowsByConstantIndicesKeepsTheChannels() throws Exception {
    ModelProto m = between(8, 8, 8, new long[] {3, 8},
        (g, a) -> g.node("Gather", "rows", new String[] {a, g.longs("rows.idx", 0, 2, 5)},
            Fixtures.intAttr("axis", 2)));
    assertPrunesExactly(m, 8, 8);
  }

  @Test
  void gatherOfChannelsFreezesItsGroup() throws Exception {
    ModelProto m = between(8, 8, 3, new long[] {8, 8},
        (g, a) -> g.node("Gather", "pick", new String[] {a, g.longs("pick.idx", 0, 2, 5)},
            Fixtures.intAttr("axis", 1)));
    assertFrozen(m, "node 'pick' (Gather along axis 1) picks channels by index");
  }

  @Test
  void opsThatMoveChannelsOffAxisOneAreLost() throws Exception {
    NodeProto mean = NodeProto.newBuilder().setOpType("ReduceMean").setName("mean")
        .addAttribute(ints("axes", 0)).addAttribute(Fixtures.intAttr("keepdims", 0)).build();
    assertEquals(new ChannelFate.Lost("node 'mean' (ReduceMean over axes [0] without keepdims) removes axis 0, moving "
        + "the channels to axis 0"), AxisChannels.reduce(mean, new long[] {1, 8, 4, 4}, Optional.of(new long[] {0})));
    NodeProto gather = NodeProto.newBuilder().setOpType("Gather").setName("batch").build();
    assertEquals(new ChannelFate.Lost("node 'batch' (Gather along axis 0 with indices of rank 2) moves the channel axis "
        + "to axis 2"), AxisChannels.gather(gather, new long[] {4, 8, 4, 4}, new long[] {2, 2}));
    assertEquals(new ChannelFate.Kept(), AxisChannels.gather(gather, new long[] {4, 8, 4, 4}, new long[] {2}));
    NodeProto reverse = NodeProto.newBuilder().setOpType("Transpose").setName("reverse").build();
    assertEquals(new ChannelFate.Lost("node 'reverse' (Transpose with perm [3, 2, 1, 0]) moves the channel axis to "
        + "axis 2"), AxisChannels.transpose(reverse, new long[] {1, 8, 4, 4}));
  }
}
