package fwi.cloud.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.BatchNormFolding;
import fwi.cloud.graph.UnsupportedOperatorException;
import fwi.cloud.model.GraphBuilder;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.runtime.tensor.FloatTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TorchGraphTest {
  private static NDManager root;

  @BeforeAll
  static void start() {
    root = Torch.manager(2);
  }

  @AfterAll
  static void stop() {
    root.close();
  }

  @ParameterizedTest
  @EnumSource(InversionNetConfig.CropStyle.class)
  void matchesOnnxRuntimeInEvalModeForEveryCropStyle(InversionNetConfig.CropStyle crop) throws Exception {
    ModelProto m = TrainFixtures.trainedLooking(InversionNetConfig.defaults().withWidth(0.125).withCrop(crop), 3);
    assertMatchesOrt(m, 1e-4);
  }

  @Test
  void matchesOnnxRuntimeWithBatchNormFoldedAndOlderOpset() throws Exception {
    ModelProto m = TrainFixtures.trainedLooking(InversionNetConfig.defaults().withWidth(0.125).withOpset(11), 4);
    assertMatchesOrt(BatchNormFolding.fold(m), 1e-4);
  }

  @Test
  void exportWithoutTrainingGivesTheSameModel() throws Exception {
    ModelProto m = TrainFixtures.trainedLooking(InversionNetConfig.defaults().withWidth(0.125), 5);
    try (TorchGraph g = TorchGraph.load(m, root)) {
      assertEquals(m, g.export());
    }
  }

  @Test
  void weightsAndBuffersAreClassifiedByTheSlotTheyFill() throws Exception {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125));
    try (TorchGraph g = TorchGraph.load(m, root)) {
      assertEquals(TorchGraph.Role.WEIGHT, g.roles().get("convblock1.weight"));
      assertEquals(TorchGraph.Role.WEIGHT, g.roles().get("deconv1_1.bias"));
      assertEquals(TorchGraph.Role.WEIGHT, g.roles().get("deconv6.bn.weight"));
      assertEquals(TorchGraph.Role.BUFFER, g.roles().get("deconv6.bn.running_var"));
      assertEquals(TorchGraph.Role.CONSTANT, g.roles().get("pre.scale"));
      // 25 layers x (weight, bias, bn.weight, bn.bias)
      assertEquals(100, g.parameters().size());
    }
  }

  @Test
  void trainingForwardUpdatesRunningStatisticsWithTheNodesMomentum() throws Exception {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125));
    FloatTensor x = TrainFixtures.gathers(2, 7);
    try (TorchGraph g = TorchGraph.load(m, root); NDManager step = root.newSubManager()) {
      NDArray in = step.create(x.data(), new ai.djl.ndarray.types.Shape(2, 5, 1000, 70));
      float[] conv = TorchOps.mean(g.run(in, "convblock1", false, step), new int[] {0, 2, 3}, false).toFloatArray();
      float[] before = g.get("convblock1.bn.running_mean");
      g.run(in, "convblock1/bn", true, step);
      float[] after = g.get("convblock1.bn.running_mean");
      for (int c = 0; c < conv.length; c++) {
        assertEquals(0.9 * before[c] + 0.1 * conv[c], after[c], 1e-5, "channel " + c);
      }
    }
  }

  @Test
  void gradientsReachEveryWeight() throws Exception {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125));
    try (TorchGraph g = TorchGraph.load(m, root); NDManager step = root.newSubManager()) {
      NDArray in = step.create(TrainFixtures.gathers(2, 8).data(), new ai.djl.ndarray.types.Shape(2, 5, 1000, 70));
      try (GradientCollector gc = Torch.engine(2).newGradientCollector()) {
        NDArray y = g.run(in, InversionNet.CORE_OUTPUT, true, step);
        gc.backward(y.sub(0.3f).square().mean());
      }
      for (TorchGraph.Parameter p : g.parameters()) {
        float[] grad = p.array().getGradient().toFloatArray();
        double sum = 0;
        for (float v : grad) {
          sum += Math.abs(v);
        }
        assertTrue(sum > 0, "no gradient reached " + p.name());
      }
    }
  }

  @Test
  void unsupportedOpIsNamedWithItsNode() {
    GraphBuilder b = new GraphBuilder("t");
    b.input(fwi.cloud.model.GraphBuilder.floatValue("x", 1, 4));
    b.output(fwi.cloud.model.GraphBuilder.floatValue("y", 1, 4));
    b.node("Erf", "my_erf", "y", new String[] {"x"});
    ModelProto m = TrainFixtures.model(b);
    UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class, () -> TorchGraph.load(m, root));
    assertEquals("my_erf", e.node());
    assertEquals("Erf", e.op());
  }

  @Test
  void wrongInputShapeNamesTheNodeAndShapes() throws Exception {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125));
    try (TorchGraph g = TorchGraph.load(m, root); NDManager step = root.newSubManager()) {
      NDArray in = step.zeros(new ai.djl.ndarray.types.Shape(1, 4, 1000, 70));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> g.run(in, InversionNet.CORE_OUTPUT, false, step));
      assertTrue(e.getMessage().startsWith("node 'convblock1' (Conv) failed on inputs [(1, 4, 1000, 70)"),
          e.getMessage());
    }
  }

  private static void assertMatchesOrt(ModelProto m, double tol) throws Exception {
    FloatTensor x = TrainFixtures.gathers(2, 11);
    float[] ort = TrainFixtures.ort(m, x);
    float[] torch;
    try (TorchGraph g = TorchGraph.load(m, root); NDManager step = root.newSubManager()) {
      NDArray in = Torch.array(step, x);
      torch = g.run(in, InversionNet.OUTPUT, false, step).toFloatArray();
    }
    double worst = 0;
    double spread = 0;
    for (int i = 0; i < ort.length; i++) {
      // Compare on the normalized scale the network produces (1500 m/s per unit).
      worst = Math.max(worst, Math.abs(ort[i] - torch[i]) / 1500.0);
      spread = Math.max(spread, Math.abs(ort[i] - ort[0]) / 1500.0);
    }
    assertTrue(worst <= tol, "max abs diff " + worst + " on the normalized output");
    assertTrue(spread > 0.01, "the fixture's output barely varies (" + spread + "): comparison would be weak");
  }
}
