package fwi.cloud.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InversionNetConfig.CropStyle;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Builder variants in the shapes {@code torch.onnx.export} writes: opsets 11 to 17, every crop style. */
class InversionNetOpsetTest {
  private static final InversionNetConfig SMALL = InversionNetConfig.defaults().withWidth(0.125);
  private static final FloatTensor GATHERS = InversionNetRuntimeTest.gathers(1, 5);
  private static float[] reference;

  @BeforeAll
  static void runDefaultBuild() throws Exception {
    try (ModelRunner r = ModelRunner.open(InversionNet.build(SMALL).toByteArray(), new RunnerOptions(1), "default")) {
      reference = r.run(GATHERS).data();
    }
  }

  static Stream<Arguments> opsetsAndCrops() {
    List<Arguments> all = new ArrayList<>();
    for (long opset = InversionNetConfig.MIN_OPSET; opset <= InversionNetConfig.MAX_OPSET; opset++) {
      for (CropStyle crop : CropStyle.values()) {
        all.add(Arguments.of(opset, crop));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "opset {0}, crop {1}")
  @MethodSource("opsetsAndCrops")
  void everyOpsetAndCropStyleRunsInOnnxRuntimeAndMatchesTheDefaultBuild(long opset, CropStyle crop) throws Exception {
    ModelProto m = InversionNet.build(SMALL.withOpset(opset).withCrop(crop));
    assertEquals(List.of(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset).build()), m.getOpsetImportList());
    try (ModelRunner r = ModelRunner.open(m.toByteArray(), new RunnerOptions(1), "opset " + opset + " " + crop)) {
      FloatTensor v = r.run(GATHERS);
      assertEquals(Shape.of(1, 1, 70, 70), v.shape());
      assertArrayEquals(reference, v.data(), 1e-5f);
    }
  }

  @Test
  void allTwentyOneOpsetAndCropCombinationsAreCovered() {
    assertEquals(21, opsetsAndCrops().count());
    assertEquals(17, InversionNetConfig.defaults().opset());
    assertEquals(InversionNet.OPSET, InversionNetConfig.defaults().opset());
  }

  @Test
  void padConstantNodeTakesItsPadsFromAConstantNodeNotAnInitializer() throws Exception {
    ModelProto m = InversionNet.build(SMALL.withCrop(CropStyle.PAD_CONSTANT_NODE));
    OnnxGraph g = new OnnxGraph(m);
    NodeProto pad = g.nodes().stream().filter(n -> n.getOpType().equals("Pad")).findFirst().orElseThrow();
    assertTrue(!g.isInitializer(pad.getInput(1)), pad.getInput(1) + " is an initializer");
    NodeProto constant = g.producer(pad.getInput(1)).orElseThrow();
    assertEquals("Constant", constant.getOpType());
    TensorProto pads = OnnxGraph.attribute(constant, "value").map(AttributeProto::getT).orElseThrow();
    assertEquals(TensorProto.DataType.INT64.getNumber(), pads.getDataType());
    assertArrayEquals(new long[] {0, 0, -5, -5, 0, 0, -5, -5}, OnnxGraph.longValues(pads));
  }

  @Test
  void countsTheSameWhetherPadsComeFromAnInitializerOrAConstantNode() throws Exception {
    ModelSummary initializer = ModelCounter.count(InversionNet.build(SMALL.withCrop(CropStyle.PAD)));
    ModelSummary node = ModelCounter.count(InversionNet.build(SMALL.withCrop(CropStyle.PAD_CONSTANT_NODE)));
    assertEquals(initializer.layers(), node.layers());
    assertArrayEquals(new long[] {1, 70, 70}, node.outputShape());
  }

  @Test
  void batchNormalizationNeverRunsInTrainingMode() {
    for (NodeProto n : InversionNet.build(SMALL.withOpset(15)).getGraph().getNodeList()) {
      if (n.getOpType().equals("BatchNormalization")) {
        assertEquals(0, OnnxGraph.intAttr(n, "training_mode", 0), n.getName());
        assertEquals(1, n.getOutputCount(), n.getName());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {10, 18, 0, -17})
  void refusesAnOpsetOutsideElevenToSeventeenNamingIt(long opset) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SMALL.withOpset(opset));
    assertEquals("opset must be in [11, 17], but was " + opset, e.getMessage());
  }
}
