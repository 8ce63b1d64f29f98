package fwi.cloud.graph;

import static fwi.cloud.model.GraphBuilder.floatAttr;
import static fwi.cloud.model.GraphBuilder.floatValue;
import static fwi.cloud.model.GraphBuilder.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import fwi.cloud.model.GraphBuilder;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.ModelMetadata;
import fwi.cloud.model.OnnxModels;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BatchNormFoldingTest {
  private static final RunnerOptions ONE_THREAD = new RunnerOptions(1);

  /** InversionNet at width 0.25 whose BatchNorms are no longer the identity they are at initialization. */
  private static ModelProto trained;
  private static ModelProto folded;

  @BeforeAll
  static void buildAndFold() throws Exception {
    trained = randomizeBatchNorm(InversionNet.build(InversionNetConfig.defaults().withWidth(0.25)), 7);
    folded = BatchNormFolding.fold(trained);
  }

  @Test
  void foldsAllTwentyFiveBatchNormsOfInversionNet() {
    assertEquals(25, count(trained, "BatchNormalization"));
    assertEquals(0, count(folded, "BatchNormalization"));
    assertEquals(trained.getGraph().getNodeCount() - 25, folded.getGraph().getNodeCount());
    // Node order and names otherwise unchanged.
    List<String> expected = trained.getGraph().getNodeList().stream()
        .filter(n -> !n.getOpType().equals("BatchNormalization")).map(NodeProto::getName).toList();
    assertEquals(expected, folded.getGraph().getNodeList().stream().map(NodeProto::getName).toList());
  }

  @Test
  void parameterCountDropsByExactlyTheBatchNormScaleAndShift() throws Exception {
    long scaleAndShift = 0;
    for (InversionNet.LayerSpec l : InversionNet.LAYERS) {
      boolean last = l.name().equals("deconv6");
      scaleAndShift += 2L * InversionNet.channels(l.outChannels(), 0.25, last);
    }
    ModelSummary before = ModelCounter.count(trained);
    ModelSummary after = ModelCounter.count(folded);
    assertEquals(before.params() - scaleAndShift, after.params());
    assertEquals(scaleAndShift, before.buffers()); // mean and var: as many values as scale and shift
    assertEquals(0, after.buffers());
    assertEquals(before.macs(), after.macs());
    assertEquals(25, after.layers().size());
  }

  @Test
  void foldedModelGivesTheSameVelocitiesInOnnxRuntime() throws Exception {
    FloatTensor x = gathers(2, 3);
    float[] expected;
    float[] actual;
    float[] identityBn;
    try (ModelRunner a = ModelRunner.open(trained.toByteArray(), ONE_THREAD, "unfolded");
        ModelRunner b = ModelRunner.open(folded.toByteArray(), ONE_THREAD, "folded");
        ModelRunner c = ModelRunner.open(InversionNet.build(InversionNetConfig.defaults().withWidth(0.25)).toByteArray(),
            ONE_THREAD, "identity BatchNorm")) {
      expected = a.run(x).data();
      actual = b.run(x).data();
      identityBn = c.run(x).data();
    }
    double spread = 0;
    double shift = 0;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-3, "velocity " + i + " m/s");
      assertEquals(expected[i], actual[i], 1e-5 * Math.abs(expected[i]), "velocity " + i + " relative");
      assertTrue(expected[i] > 1510 && expected[i] < 4490, "tanh saturated at element " + i + ": " + expected[i]);
      spread = Math.max(spread, Math.abs(expected[i] - expected[0]));
      shift = Math.max(shift, Math.abs(expected[i] - identityBn[i]));
    }
    // The comparison means something only if the map varies and the BatchNorms matter.
    assertTrue(spread > 50, "velocity spread " + spread + " m/s");
    assertTrue(shift > 50, "BatchNorm changed velocities by only " + shift + " m/s");
  }

  @Test
  void keepsTensorNamesBiasNamesMetadataAndOpsetAndDropsBatchNormVectors() {
    GraphProto g = folded.getGraph();
    NodeProto conv = node(folded, "convblock1");
    assertEquals(List.of("convblock1/bn"), conv.getOutputList());
    assertEquals(List.of(InversionNet.CORE_INPUT, "convblock1.weight", "convblock1.bias"), conv.getInputList());
    assertEquals(trained.getGraph().getOutputList(), g.getOutputList());
    assertEquals(trained.getGraph().getInputList(), g.getInputList());
    assertEquals(trained.getOpsetImportList(), folded.getOpsetImportList());
    assertEquals(trained.getDocString(), folded.getDocString());
    Map<String, String> md = OnnxModels.metadata(folded);
    assertEquals("true", md.remove(ModelMetadata.BN_FOLDED));
    assertEquals(OnnxModels.metadata(trained), md);
    Set<String> names = g.getInitializerList().stream().map(TensorProto::getName).collect(Collectors.toSet());
    assertFalse(names.stream().anyMatch(n -> n.contains(".bn.")), names.toString());
    assertEquals(trained.getGraph().getInitializerCount() - 4 * 25, g.getInitializerCount());
  }

  @Test
  void leavesABatchNormAloneWhenItsConvOutputHasASecondConsumer() throws Exception {
    ModelProto.Builder b = trained.toBuilder();
    GraphProto.Builder g = b.getGraphBuilder();
    g.addNode(NodeProto.newBuilder().setOpType("Identity").setName("tap").addInput("convblock2_1").addOutput("tap"));
    g.addOutput(floatValue("tap", -1, 16, 250, 70));
    ModelProto m = BatchNormFolding.fold(b.build());
    assertEquals(1, count(m, "BatchNormalization"));
    NodeProto bn = node(m, "convblock2_1/bn");
    assertEquals("convblock2_1", bn.getInput(0));
    assertEquals("convblock2_1", node(m, "convblock2_1").getOutput(0));
    Set<String> names = m.getGraph().getInitializerList().stream().map(TensorProto::getName).collect(Collectors.toSet());
    for (int i = 1; i < 5; i++) {
      assertTrue(names.contains(bn.getInput(i)), bn.getInput(i));
    }
    // The other 24 fold: scale and shift go, except convblock2_1's 16 channels (64 at width 0.25).
    ModelSummary before = ModelCounter.count(b.build());
    long bnChannels = before.buffers() / 2;
    assertEquals(before.params() - 2 * (bnChannels - 16), ModelCounter.count(m).params());
    assertEquals(2 * 16, ModelCounter.count(m).buffers());
  }

  @Test
  void foldsAGroupedConvTransposeWithoutBiasPerOutputChannel() throws Exception {
    // ConvTranspose, group 2: weight [C_in 4, C_out/g 3, 2, 2], so 6 output channels; BN over those 6.
    GraphBuilder gb = new GraphBuilder("convT");
    gb.input(floatValue("x", -1, 4, 3, 3));
    gb.output(floatValue("y", -1, 6, 6, 6));
    SplittableRandom r = new SplittableRandom(11);
    String w = gb.floats("up.weight", uniform(r, 4 * 3 * 2 * 2, -1, 1), 4, 3, 2, 2);
    String t = gb.node("ConvTranspose", "up", new String[] {"x", w}, ints("kernel_shape", 2, 2), ints("strides", 2, 2),
        AttributeProto.newBuilder().setName("group").setType(AttributeType.INT).setI(2).build());
    float[] gamma = uniform(r, 6, -2, 2);
    float[] beta = uniform(r, 6, -1, 1);
    float[] mean = uniform(r, 6, -1, 1);
    float[] var = uniform(r, 6, 0.1, 3);
    gb.node("BatchNormalization", "up/bn", "y", new String[] {t, gb.floats("g", gamma, 6), gb.floats("b", beta, 6),
        gb.floats("m", mean, 6), gb.floats("v", var, 6)}, floatAttr("epsilon", 1e-3f));
    ModelProto m = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(gb.build()).build();
    ModelProto f = BatchNormFolding.fold(m);

    assertEquals(List.of("ConvTranspose"), f.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
    NodeProto up = f.getGraph().getNode(0);
    assertEquals(List.of("x", "up.weight", "up.bias"), up.getInputList());
    assertEquals("y", up.getOutput(0));
    float[] bias = OnnxGraph.floatValues(initializer(f, "up.bias"));
    float[] folded = OnnxGraph.floatValues(initializer(f, "up.weight"));
    float[] original = OnnxGraph.floatValues(initializer(m, "up.weight"));
    for (int c = 0; c < 6; c++) {
      double s = gamma[c] / Math.sqrt(var[c] + 1e-3f);
      assertEquals(beta[c] - mean[c] * s, bias[c], 1e-6, "bias " + c);
    }
    // Weight [ci, j, kh, kw] of input channel ci in group ci / 2 feeds output channel (ci / 2)·3 + j.
    for (int ci = 0; ci < 4; ci++) {
      for (int j = 0; j < 3; j++) {
        int o = (ci / 2) * 3 + j;
        double s = gamma[o] / Math.sqrt(var[o] + 1e-3f);
        for (int k = 0; k < 4; k++) {
          int i = (ci * 3 + j) * 4 + k;
          assertEquals(original[i] * s, folded[i], 1e-6, "weight " + i);
        }
      }
    }
    assertSameOutputs(m, f, new FloatTensor(Shape.of(2, 4, 3, 3), uniform(r, 72, -1, 1)));
  }

  @Test
  void foldsAConvWithoutBiasAndDropsValueInfoOfTheRemovedTensor() throws Exception {
    GraphBuilder gb = new GraphBuilder("conv");
    gb.input(floatValue("x", -1, 2, 5, 5));
    gb.output(floatValue("z", -1, 3, 5, 5));
    SplittableRandom r = new SplittableRandom(12);
    String c = gb.node("Conv", "c", new String[] {"x", gb.floats("c.weight", uniform(r, 3 * 2 * 9, -1, 1), 3, 2, 3, 3)},
        ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1));
    String y = gb.node("BatchNormalization", "c/bn", new String[] {c, gb.floats("g", uniform(r, 3, 0.5, 2), 3),
        gb.floats("b", uniform(r, 3, -1, 1), 3), gb.floats("m", uniform(r, 3, -1, 1), 3),
        gb.floats("v", uniform(r, 3, 0.5, 2), 3)});
    gb.node("Relu", "act", "z", new String[] {y});
    GraphProto.Builder g = gb.build().toBuilder()
        .addValueInfo(floatValue("c", -1, 3, 5, 5)).addValueInfo(floatValue("c/bn", -1, 3, 5, 5));
    ModelProto m = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(11)).setGraph(g).build();
    ModelProto f = BatchNormFolding.fold(m);

    assertEquals(List.of("Conv", "Relu"), f.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
    assertEquals(List.of("c/bn"), f.getGraph().getValueInfoList().stream().map(ValueInfoProto::getName).toList());
    assertEquals(List.of("c.weight", "c.bias"),
        f.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
    assertSameOutputs(m, f, new FloatTensor(Shape.of(1, 2, 5, 5), uniform(r, 50, -1, 1)));
  }

  @Test
  void returnsTheModelItselfWhenNoBatchNormCanBeFolded() throws Exception {
    ModelProto once = BatchNormFolding.fold(folded);
    assertSame(folded, once);
  }

  private static void assertSameOutputs(ModelProto a, ModelProto b, FloatTensor x) throws Exception {
    try (ModelRunner ra = ModelRunner.open(a.toByteArray(), ONE_THREAD, "unfolded");
        ModelRunner rb = ModelRunner.open(b.toByteArray(), ONE_THREAD, "folded")) {
      float[] expected = ra.run(x).data();
      float[] actual = rb.run(x).data();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, Math.abs(expected[i])), "element " + i);
      }
    }
  }

  /**
   * Replaces every BatchNormalization's γ, β, running mean and running variance with random values
   * as training would leave them: |γ| in [0.5, 1.5) with random sign, β and μ in [-0.2, 0.2),
   * σ² in [0.2, 1.0). Wider ranges saturate the final Tanh, which would hide folding errors.
   */
  static ModelProto randomizeBatchNorm(ModelProto m, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, float[]> values = new HashMap<>();
    for (NodeProto n : m.getGraph().getNodeList()) {
      if (n.getOpType().equals("BatchNormalization")) {
        int c = (int) initializer(m, n.getInput(1)).getDims(0);
        float[] gamma = uniform(r, c, 0.5, 1.5);
        for (int i = 0; i < c; i++) {
          gamma[i] *= r.nextBoolean() ? 1 : -1;
        }
        values.put(n.getInput(1), gamma);
        values.put(n.getInput(2), uniform(r, c, -0.2, 0.2));
        values.put(n.getInput(3), uniform(r, c, -0.2, 0.2));
        values.put(n.getInput(4), uniform(r, c, 0.2, 1.0));
      }
    }
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      float[] v = values.get(g.getInitializer(i).getName());
      if (v != null) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        g.setInitializer(i, g.getInitializer(i).toBuilder().setRawData(ByteString.copyFrom(bb.array())));
      }
    }
    return m.toBuilder().setGraph(g).build();
  }

  private static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (lo + r.nextDouble() * (hi - lo));
    }
    return v;
  }

  private static TensorProto initializer(ModelProto m, String name) {
    return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no initializer " + name));
  }

  private static NodeProto node(ModelProto m, String name) {
    return m.getGraph().getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no node " + name));
  }

  private static long count(ModelProto m, String op) {
    return m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).count();
  }

  private static FloatTensor gathers(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n * 5 * 1000 * 70];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * 20);
    }
    return new FloatTensor(Shape.of(n, 5, 1000, 70), v);
  }
}
