package fwi.cloud.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.UnsupportedOperatorException;
import fwi.cloud.model.GraphBuilder;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ChannelGraphTest {
  @Test
  void inversionNetHasOnePrunableGroupPerHiddenLayerAndFreezesItsInputAndOutput() throws Exception {
    ChannelGraph cg = ChannelGraph.analyze(Fixtures.inversionNet(0.25));
    List<String> expected = InversionNet.LAYERS.stream().map(InversionNet.LayerSpec::name)
        .filter(n -> !n.equals("deconv6")).toList();
    assertEquals(expected, cg.prunable().stream().map(ChannelGroup::name).toList());
    ChannelGroup input = cg.groups().get(0);
    assertEquals(5, input.channels());
    assertEquals("channels of graph input 'gathers'", input.frozenReason().orElseThrow());
    ChannelGroup out = cg.group("deconv6").orElseThrow();
    assertEquals(1, out.channels());
    assertEquals("channels of graph output 'velocity'", out.frozenReason().orElseThrow());
  }

  @Test
  void convGroupHoldsFilterBiasBatchNormAndTheNextLayersInputChannels() throws Exception {
    ChannelGroup g = ChannelGraph.analyze(Fixtures.inversionNet(0.25)).group("convblock1").orElseThrow();
    assertEquals(8, g.channels());
    assertEquals(Set.of(
        new Member("convblock1.weight", 0, Role.PRODUCER, "convblock1"),
        new Member("convblock1.bias", 0, Role.BIAS, "convblock1"),
        new Member("convblock1.bn.weight", 0, Role.NORM_SCALE, "convblock1/bn"),
        new Member("convblock1.bn.bias", 0, Role.NORM_SHIFT, "convblock1/bn"),
        new Member("convblock1.bn.running_mean", 0, Role.NORM_MEAN, "convblock1/bn"),
        new Member("convblock1.bn.running_var", 0, Role.NORM_VAR, "convblock1/bn"),
        new Member("convblock2_1.weight", 1, Role.READER, "convblock2_1")), Set.copyOf(g.members()));
  }

  @Test
  void convTransposeProducesAlongWeightAxisOneAndReadsAlongAxisZero() throws Exception {
    ChannelGraph cg = ChannelGraph.analyze(Fixtures.inversionNet(0.25));
    ChannelGroup deconv = cg.group("deconv2_1").orElseThrow();
    assertTrue(deconv.members().contains(new Member("deconv2_1.weight", 1, Role.PRODUCER, "deconv2_1")));
    assertTrue(deconv.members().contains(new Member("deconv2_2.weight", 1, Role.READER, "deconv2_2")));
    ChannelGroup before = cg.group("deconv1_2").orElseThrow();
    assertTrue(before.members().contains(new Member("deconv2_1.weight", 0, Role.READER, "deconv2_1")));
  }

  @Test
  void cropByPadOrSliceKeepsTheLastDecoderGroupPrunable() throws Exception {
    for (InversionNetConfig.CropStyle crop : InversionNetConfig.CropStyle.values()) {
      ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.25).withCrop(crop));
      ChannelGroup g = ChannelGraph.analyze(m).group("deconv5_2").orElseThrow();
      assertTrue(g.prunable(), crop + ": " + g);
      assertTrue(g.members().contains(new Member("deconv6.weight", 1, Role.READER, "deconv6")), crop.name());
    }
  }

  @Test
  void residualAddMergesTheGroupsOfAllThreeConvolutions() throws Exception {
    ChannelGraph cg = ChannelGraph.analyze(Fixtures.residual());
    List<ChannelGroup> prunable = cg.prunable();
    assertEquals(List.of("conv_a", "conv_mid"), prunable.stream().map(ChannelGroup::name).toList());
    ChannelGroup g = prunable.get(0);
    assertEquals(List.of("conv_a", "conv_b", "conv_c"), g.producers());
    assertEquals(Set.of("conv_b.weight", "conv_c.weight", "conv_mid.weight"), g.members().stream()
        .filter(m -> m.role() == Role.READER).map(Member::initializer).collect(Collectors.toSet()));
  }

  @Test
  void concatAlongChannelsKeepsBothBranchesSeparateGroups() throws Exception {
    ChannelGraph cg = ChannelGraph.analyze(Fixtures.concat());
    assertEquals(List.of("conv_p", "conv_q"), cg.prunable().stream().map(ChannelGroup::name).toList());
    assertTrue(cg.group("conv_q").orElseThrow().members().contains(new Member("head.weight", 1, Role.READER, "head")));
  }

  @Test
  void depthwiseConvolutionJoinsTheGroupOfItsInput() throws Exception {
    ChannelGroup g = ChannelGraph.analyze(Fixtures.depthwise()).group("conv_a").orElseThrow();
    assertEquals(List.of("conv_a", "dw"), g.producers());
  }

  @Test
  void groupedConvolutionFreezesWithItsReason() throws Exception {
    java.util.SplittableRandom r = new java.util.SplittableRandom(1);
    GraphBuilder g = new GraphBuilder("grouped");
    g.input(GraphBuilder.floatValue("x", -1, 4, 8, 8));
    g.output(GraphBuilder.floatValue("y", -1, 2, 8, 8));
    String a = Fixtures.relu(g, Fixtures.conv(g, r, "conv_a", "x", 4, 8, 1));
    String b = Fixtures.relu(g, Fixtures.conv(g, r, "grouped", a, 8, 8, 2));
    Fixtures.head(g, r, b, 8);
    ChannelGraph cg = ChannelGraph.analyze(Fixtures.model(g));
    ChannelGroup frozen = cg.group("conv_a").orElseThrow();
    assertFalse(frozen.prunable());
    assertEquals("grouped convolution 'grouped' (group 2) ties channels across groups", frozen.frozenReason().orElseThrow());
  }

  @Test
  void flattenRepeatsEachChannelForTheFollowingGemm() throws Exception {
    ChannelGroup g = ChannelGraph.analyze(Fixtures.flattenGemm()).group("conv_a").orElseThrow();
    assertTrue(g.prunable());
    assertTrue(g.members().contains(new Member("fc.weight", 1, Role.READER, "fc")));
  }

  @Test
  void unknownOperatorIsRefusedNamingNodeAndOp() {
    GraphBuilder g = new GraphBuilder("odd");
    g.input(GraphBuilder.floatValue("x", -1, 3, 8, 8));
    g.output(GraphBuilder.floatValue("y", -1, 3, 8, 8));
    g.node("Einsum", "mix", "y", new String[] {"x"}, GraphBuilder.stringAttr("equation", "nchw->nchw"));
    UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
        () -> ChannelGraph.analyze(Fixtures.model(g)));
    assertEquals("mix", e.node());
    assertEquals("Einsum", e.op());
  }
}
