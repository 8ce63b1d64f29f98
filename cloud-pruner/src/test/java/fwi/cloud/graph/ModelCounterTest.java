package fwi.cloud.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.InvalidModelException;
import org.junit.jupiter.api.Test;

class ModelCounterTest {
  @Test
  void countsTheSameWhetherTheCropIsASliceOrANegativePad() throws Exception {
    InversionNetConfig c = InversionNetConfig.defaults().withWidth(0.25);
    ModelSummary slice = ModelCounter.count(InversionNet.build(c));
    ModelSummary pad = ModelCounter.count(InversionNet.build(c.withCrop(InversionNetConfig.CropStyle.PAD)));
    assertEquals(slice.layers(), pad.layers());
    assertArrayEquals(new long[] {1, 70, 70}, pad.outputShape());
    assertArrayEquals(new long[] {5, 1000, 70}, pad.inputShape());
  }

  @Test
  void countsConvolutionsWithoutBatchNormWhenNoneFollows() throws Exception {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125));
    // Bypass every BatchNormalization (as a BN-folded export looks) by rewiring its consumers.
    ModelProto.Builder b = m.toBuilder();
    var g = b.getGraphBuilder();
    java.util.Map<String, String> bypass = new java.util.HashMap<>();
    java.util.List<NodeProto> kept = new java.util.ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("BatchNormalization")) {
        bypass.put(n.getOutput(0), n.getInput(0));
      } else {
        NodeProto.Builder nb = n.toBuilder();
        for (int i = 0; i < nb.getInputCount(); i++) {
          nb.setInput(i, bypass.getOrDefault(nb.getInput(i), nb.getInput(i)));
        }
        kept.add(nb.build());
      }
    }
    g.clearNode().addAllNode(kept);
    ModelSummary withBn = ModelCounter.count(m);
    ModelSummary without = ModelCounter.count(b.build());
    long bnChannels = withBn.buffers() / 2;
    assertEquals(withBn.params() - 2 * bnChannels, without.params());
    assertEquals(0, without.buffers());
    assertEquals(withBn.macs(), without.macs());
  }

  @Test
  void refusesAnOperatorOutsideTheFamilyNamingNodeAndOp() {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125));
    ModelProto.Builder b = m.toBuilder();
    NodeProto n = b.getGraph().getNode(3).toBuilder().setOpType("NonMaxSuppression").build();
    b.getGraphBuilder().setNode(3, n);
    UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class, () -> ModelCounter.count(b.build()));
    assertEquals("node '" + n.getName() + "' (NonMaxSuppression): operator is not supported by the analyser",
        e.getMessage());
  }

  @Test
  void refusesAGraphWhoseConvWeightDisagreesWithItsInputChannels() {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125));
    ModelProto.Builder b = m.toBuilder();
    var g = b.getGraphBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals("convblock2_1.weight")) {
        var t = g.getInitializer(i).toBuilder();
        t.setDims(1, t.getDims(1) + 1);
        g.setInitializer(i, t);
      }
    }
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelCounter.count(b.build()));
    assertEquals("node 'convblock2_1' (Conv): input has 4 channels, but weight [8, 5, 3, 1] with group 1 expects 5",
        e.getMessage());
  }
}
