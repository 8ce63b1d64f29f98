package fwi.cloud.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNet.LayerSpec;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.ModelMetadata;
import fwi.cloud.model.OnnxModels;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrunerTest {
  private static final String SHA = "0".repeat(64);

  private static PruneResult uniform(ModelProto m, double ratio) throws Exception {
    return Pruner.prune(m, SHA, Plans.uniform(ChannelGraph.analyze(m), ratio, 1), Criterion.L1, 0);
  }

  @Test
  void ratioZeroGivesTheSameOutputs() throws Exception {
    ModelProto m = Fixtures.livelyInversionNet(0.25);
    PruneResult r = uniform(m, 0);
    FloatTensor x = Fixtures.gathers(1, 11);
    assertEquals(0.0, Fixtures.maxAbsDiff(Fixtures.run(m, x), Fixtures.run(r.model(), x)), 1e-6);
    assertEquals(r.before().params(), r.after().params());
  }

  /**
   * Independent count: params of InversionNet whose hidden layers have round(round(c·w)·(1-R))
   * channels, summed from the layer table (weights, bias, BatchNorm scale and shift).
   */
  private static long expectedParams(double width, double ratio) {
    long p = 0;
    List<LayerSpec> layers = InversionNet.LAYERS;
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      long cin = i == 0 ? l.inChannels() : kept(l.inChannels(), width, ratio);
      long cout = i == layers.size() - 1 ? l.outChannels() : kept(l.outChannels(), width, ratio);
      p += cin * cout * l.kernelH() * l.kernelW() + cout + 2 * cout;
    }
    return p;
  }

  private static long kept(int full, double width, double ratio) {
    long c = Math.max(1, Math.round(full * width));
    return Math.max(1, Math.round(c * (1 - ratio)));
  }

  @Test
  void uniformPruningLeavesTheChannelCountsOfTheLayerTable() throws Exception {
    for (double ratio : new double[] {0.25, 0.5, 0.875}) {
      PruneResult r = uniform(Fixtures.inversionNet(0.5), ratio);
      assertEquals(expectedParams(0.5, ratio), r.after().params(), "ratio " + ratio);
      long[] w = Fixtures.dims(r.model(), "convblock1.weight");
      assertArrayEquals(new long[] {kept(32, 0.5, ratio), 5, 7, 1}, w, "graph input channels stay 5");
      long[] t = Fixtures.dims(r.model(), "deconv2_1.weight");
      assertArrayEquals(new long[] {kept(512, 0.5, ratio), kept(256, 0.5, ratio), 4, 4}, t, "ConvTranspose [C_in, C_out]");
      assertArrayEquals(new long[] {1, kept(32, 0.5, ratio), 3, 3}, Fixtures.dims(r.model(), "deconv6.weight"));
    }
  }

  @Test
  void prunedModelRunsAndKeepsItsInputAndOutputShapes() throws Exception {
    PruneResult r = uniform(Fixtures.inversionNet(0.25), 0.5);
    float[] y = Fixtures.run(r.model(), Fixtures.gathers(2, 3));
    assertEquals(2 * 70 * 70, y.length);
    for (float v : y) {
      assertTrue(v > 1500 - 1e-3 && v < 4500 + 1e-3, "velocity " + v);
    }
  }

  /** Zeroes filters of a layer, prunes exactly that many channels of its group with l1 and compares outputs. */
  private static void assertZeroFiltersPruneExactly(String layer, boolean transposed, int... channels) throws Exception {
    ModelProto m = Fixtures.livelyInversionNet(0.25);
    m = Fixtures.zero(m, layer + ".weight", transposed ? 1 : 0, channels);
    m = Fixtures.zero(m, layer + ".bias", 0, channels);
    ChannelGraph cg = ChannelGraph.analyze(m);
    int c = cg.group(layer).orElseThrow().channels();
    PrunePlan plan = new PrunePlan("layers", Map.of(layer, c - channels.length), Map.of());
    PruneResult r = Pruner.prune(cg, SHA, plan, Criterion.L1, 0);
    assertEquals(c - channels.length, r.channels().get(layer)[1]);
    FloatTensor x = Fixtures.gathers(1, 5);
    // Velocities are 1500·v_n + 3000 m/s; compare on the network's normalized scale.
    double diff = Fixtures.maxAbsDiff(Fixtures.run(m, x), Fixtures.run(r.model(), x)) / 1500;
    assertTrue(diff <= 1e-5, layer + ": normalized outputs differ by " + diff);
  }

  @Test
  void zeroedFiltersOfAnEncoderConvolutionPruneWithoutChangingTheOutput() throws Exception {
    assertZeroFiltersPruneExactly("convblock3_1", false, 0, 5, 9, 15);
  }

  @Test
  void zeroedFiltersOfADecoderConvTransposePruneWithoutChangingTheOutput() throws Exception {
    assertZeroFiltersPruneExactly("deconv3_1", true, 1, 2, 30);
  }

  @Test
  void zeroedFiltersBeforeTheCropPruneWithoutChangingTheOutput() throws Exception {
    assertZeroFiltersPruneExactly("deconv5_2", false, 0, 7);
  }

  @Test
  void residualNetworkPrunesAllProducersOfTheSharedGroupTogether() throws Exception {
    ModelProto m = Fixtures.residual();
    int[] zeroed = {1, 4, 6};
    for (String conv : new String[] {"conv_a", "conv_b", "conv_c"}) {
      m = Fixtures.zero(m, conv + ".weight", 0, zeroed);
      m = Fixtures.zero(m, conv + ".bias", 0, zeroed);
    }
    PruneResult r = Pruner.prune(m, SHA, new PrunePlan("layers", Map.of("conv_b", 5), Map.of()), Criterion.L1, 0);
    assertArrayEquals(new long[] {5, 3, 3, 3}, Fixtures.dims(r.model(), "conv_a.weight"));
    assertArrayEquals(new long[] {5, 5, 3, 3}, Fixtures.dims(r.model(), "conv_b.weight"));
    assertArrayEquals(new long[] {6, 5, 3, 3}, Fixtures.dims(r.model(), "conv_mid.weight"));
    FloatTensor x = Fixtures.noise(Shape.of(2, 3, 12, 12), 1, -1, 1);
    assertEquals(0.0, Fixtures.maxAbsDiff(Fixtures.run(m, x), Fixtures.run(r.model(), x)), 1e-5);
  }

  @Test
  void concatenatedBranchesPruneTheMatchingInputChannelsOfTheNextLayer() throws Exception {
    ModelProto m = Fixtures.concat();
    m = Fixtures.zero(m, "conv_p.weight", 0, 2);
    m = Fixtures.zero(m, "conv_p.bias", 0, 2);
    m = Fixtures.zero(m, "conv_q.weight", 0, 0, 5);
    m = Fixtures.zero(m, "conv_q.bias", 0, 0, 5);
    PruneResult r = Pruner.prune(m, SHA, new PrunePlan("layers", Map.of("conv_p", 3, "conv_q", 4), Map.of()),
        Criterion.L1, 0);
    assertArrayEquals(new long[] {2, 7, 3, 3}, Fixtures.dims(r.model(), "head.weight"));
    FloatTensor x = Fixtures.noise(Shape.of(1, 3, 10, 10), 2, -1, 1);
    assertEquals(0.0, Fixtures.maxAbsDiff(Fixtures.run(m, x), Fixtures.run(r.model(), x)), 1e-5);
  }

  @Test
  void depthwiseConvolutionKeepsItsGroupCountEqualToItsChannels() throws Exception {
    ModelProto m = Fixtures.depthwise();
    m = Fixtures.zero(m, "conv_a.weight", 0, 3);
    m = Fixtures.zero(m, "conv_a.bias", 0, 3);
    m = Fixtures.zero(m, "dw.weight", 0, 3);
    m = Fixtures.zero(m, "dw.bias", 0, 3);
    PruneResult r = Pruner.prune(m, SHA, new PrunePlan("layers", Map.of("conv_a", 7), Map.of()), Criterion.L1, 0);
    assertArrayEquals(new long[] {7, 1, 3, 3}, Fixtures.dims(r.model(), "dw.weight"));
    FloatTensor x = Fixtures.noise(Shape.of(1, 3, 10, 10), 3, -1, 1);
    assertEquals(0.0, Fixtures.maxAbsDiff(Fixtures.run(m, x), Fixtures.run(r.model(), x)), 1e-5);
  }

  @Test
  void flattenedChannelsPruneWholeBlocksOfGemmInputs() throws Exception {
    ModelProto m = Fixtures.flattenGemm();
    m = Fixtures.zero(m, "conv_a.weight", 0, 1);
    m = Fixtures.zero(m, "conv_a.bias", 0, 1);
    PruneResult r = Pruner.prune(m, SHA, new PrunePlan("layers", Map.of("conv_a", 3), Map.of()), Criterion.L1, 0);
    assertArrayEquals(new long[] {5, 3 * 36}, Fixtures.dims(r.model(), "fc.weight"));
    FloatTensor x = Fixtures.noise(Shape.of(1, 3, 6, 6), 4, -1, 1);
    assertEquals(0.0, Fixtures.maxAbsDiff(Fixtures.run(m, x), Fixtures.run(r.model(), x)), 1e-5);
  }

  @Test
  void bnCriterionRanksByGammaAndL1ByFilterNorm() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.125);
    // Filters 0 and 1 of convblock1 zeroed: l1 drops them; BatchNorm γ is 1 everywhere except channel 3.
    m = Fixtures.zero(m, "convblock1.weight", 0, 0, 1);
    m = Fixtures.zero(m, "convblock1.bn.weight", 0, 3);
    ChannelGraph cg = ChannelGraph.analyze(m);
    ChannelGroup g = cg.group("convblock1").orElseThrow();
    assertArrayEquals(new int[] {2, 3}, Pruner.strongest(Importance.scores(cg, g, Criterion.L1, 0), 2));
    double[] bn = Importance.scores(cg, g, Criterion.BN, 0);
    assertEquals(0.0, bn[3]);
    assertEquals(1.0, bn[0]);
    assertArrayEquals(Importance.scores(cg, g, Criterion.RANDOM, 9), Importance.scores(cg, g, Criterion.RANDOM, 9));
  }

  @Test
  void planNamingAFrozenGroupIsRefusedWithTheReason() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.125);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pruner.prune(m, SHA,
        new PrunePlan("layers", Map.of("deconv6", 1), Map.of()), Criterion.L1, 0));
    assertEquals("plan prunes group 'deconv6', which cannot be pruned: channels of graph output 'velocity'", e.getMessage());
    IllegalArgumentException more = assertThrows(IllegalArgumentException.class, () -> Pruner.prune(m, SHA,
        new PrunePlan("layers", Map.of("convblock1", 5), Map.of()), Criterion.L1, 0));
    assertEquals("plan keeps 5 channels of group 'convblock1', which has only 4", more.getMessage());
  }

  @Test
  void prunedModelRecordsBaseHashPlanCriterionParamsAndMacs() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.25);
    String sha = OnnxModels.sha256(m.toByteArray());
    PruneResult first = Pruner.prune(m, sha, Plans.uniform(ChannelGraph.analyze(m), 0.5, 1), Criterion.L1, 0);
    Map<String, String> md = OnnxModels.metadata(first.model());
    assertEquals(sha, md.get(ModelMetadata.PARENT_SHA256));
    assertEquals(sha, md.get(PruneMetadata.BASE_SHA256));
    assertEquals("l1", md.get(PruneMetadata.CRITERION));
    assertEquals(Long.toString(ModelCounter.count(first.model()).params()), md.get(PruneMetadata.PARAMS_AFTER));
    assertEquals(Long.toString(ModelCounter.count(m).macs()), md.get(PruneMetadata.MACS_BEFORE));
    assertTrue(md.get(PruneMetadata.PLAN).contains("\"convblock1\":[8,4]"), md.get(PruneMetadata.PLAN));
    assertEquals("InversionNet", md.get(ModelMetadata.NAME));
    String sha2 = OnnxModels.sha256(first.model().toByteArray());
    PruneResult second = Pruner.prune(first.model(), sha2, Plans.uniform(ChannelGraph.analyze(first.model()), 0.5, 1),
        Criterion.L2, 0);
    assertEquals(sha2, OnnxModels.metadata(second.model(), ModelMetadata.PARENT_SHA256).orElseThrow());
    assertEquals(sha, OnnxModels.metadata(second.model(), PruneMetadata.BASE_SHA256).orElseThrow());
  }

  @Test
  void preAndPostProcessingNodesAreUntouched() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.25);
    ModelProto p = uniform(m, 0.75).model();
    assertEquals(m.getGraph().getNodeList(), p.getGraph().getNodeList());
    for (String scalar : new String[] {"pre.scale", "pre.shift", "post.scale", "post.shift", "crop.starts"}) {
      assertEquals(m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(scalar)).findFirst(),
          p.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(scalar)).findFirst(), scalar);
    }
  }

  @Test
  void progressivePruningReachesTheTargetInStepsAndRunsBetweenThem() throws Exception {
    ModelProto m = Fixtures.inversionNet(0.25);
    PrunePlan target = Plans.uniform(ChannelGraph.analyze(m), 0.75, 1);
    List<Integer> calls = new ArrayList<>();
    List<PruneResult> steps = Pruner.progressive(m, SHA, target, Criterion.L1, 0, 3, model -> {
      calls.add(1);
      return model;
    });
    assertEquals(3, steps.size());
    assertEquals(2, calls.size());
    assertArrayEquals(new int[] {16, 12}, steps.get(0).channels().get("convblock2_1"));
    assertArrayEquals(new int[] {12, 8}, steps.get(1).channels().get("convblock2_1"));
    assertArrayEquals(new int[] {8, 4}, steps.get(2).channels().get("convblock2_1"));
    assertEquals(uniform(m, 0.75).after().params(), steps.get(2).after().params());
  }

  @Test
  void keepRoundsToMultiplesWithoutExceedingTheGroup() {
    assertEquals(16, Plans.keep(32, 0.5, 1));
    assertEquals(4, Plans.keep(32, 0.875, 1));
    assertEquals(1, Plans.keep(4, 0.9, 1));
    assertEquals(8, Plans.keep(32, 0.875, 8), "at least one multiple");
    assertEquals(24, Plans.keep(40, 0.45, 8), "22 rounds to 24");
    assertEquals(3, Plans.keep(5, 0.5, 8), "groups smaller than K keep the plain count");
    assertEquals(32, Plans.keep(36, 0.02, 8), "never more than the largest multiple in the group");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Plans.keep(32, 1.2, 1));
    assertEquals("pruning ratio must be in [0, 1), but was 1.2", e.getMessage());
  }

  @Test
  void perLayerRatiosUseTheDefaultForUnnamedLayersAndRefuseUnknownOnes() throws Exception {
    ChannelGraph cg = ChannelGraph.analyze(Fixtures.inversionNet(0.25));
    PrunePlan p = Plans.perLayer(cg, Map.of("*", 0.5, "convblock8", 0.75), 1);
    assertEquals(32, p.keep().get("convblock8"));
    assertEquals(4, p.keep().get("convblock1"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Plans.perLayer(cg, Map.of("convblock9", 0.5), 1));
    assertTrue(e.getMessage().startsWith("layer 'convblock9' is not a channel group of this model; prunable groups: convblock1, "),
        e.getMessage());
  }

  static java.util.stream.Stream<InversionNetConfig> torchExportShapes() {
    InversionNetConfig base = InversionNetConfig.defaults().withWidth(0.25);
    java.util.stream.Stream.Builder<InversionNetConfig> b = java.util.stream.Stream.builder();
    for (long opset = 11; opset <= 17; opset++) {
      for (InversionNetConfig.CropStyle crop : InversionNetConfig.CropStyle.values()) {
        b.add(base.withOpset(opset).withCrop(crop));
      }
    }
    return b.build();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.MethodSource("torchExportShapes")
  void everyExportShapePrunesToTheIndependentCountAndRuns(InversionNetConfig config) throws Exception {
    ModelProto m = InversionNet.build(config);
    PruneResult r = uniform(m, 0.5);
    assertEquals(expectedParams(0.25, 0.5), r.after().params(), config.toString());
    assertEquals(config.opset(), r.model().getOpsetImport(0).getVersion());
    float[] y = Fixtures.run(r.model(), Fixtures.gathers(1, 1));
    assertEquals(70 * 70, y.length);
  }

  @Test
  void batchNormFoldedModelPrunesWithL1ExactlyAndRefusesTheBnCriterion() throws Exception {
    ModelProto m = fwi.cloud.graph.BatchNormFolding.fold(Fixtures.livelyInversionNet(0.25));
    assertTrue(m.getGraph().getNodeList().stream().noneMatch(n -> n.getOpType().equals("BatchNormalization")));
    PruneResult r = uniform(m, 0.5);
    // Without BatchNorm only the 2·C scale and shift values per layer are gone from the count.
    long bn = 0;
    for (int i = 0; i < InversionNet.LAYERS.size() - 1; i++) {
      bn += 2 * kept(InversionNet.LAYERS.get(i).outChannels(), 0.25, 0.5);
    }
    assertEquals(expectedParams(0.25, 0.5) - bn - 2, r.after().params());
    ModelProto z = Fixtures.zero(Fixtures.zero(m, "deconv4_1.weight", 1, 0, 3), "deconv4_1.bias", 0, 0, 3);
    ChannelGraph cg = ChannelGraph.analyze(z);
    PruneResult exact = Pruner.prune(cg, SHA, new PrunePlan("layers", Map.of("deconv4_1", 14), Map.of()), Criterion.L1, 0);
    FloatTensor x = Fixtures.gathers(1, 8);
    double diff = Fixtures.maxAbsDiff(Fixtures.run(z, x), Fixtures.run(exact.model(), x)) / 1500;
    assertTrue(diff <= 1e-5, "normalized outputs differ by " + diff);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Pruner.prune(cg, SHA, Plans.uniform(cg, 0.5, 1), Criterion.BN, 0));
    assertTrue(e.getMessage().startsWith("criterion bn needs a BatchNormalization on every pruned group, but group 'convblock1' has none"),
        e.getMessage());
  }
}
