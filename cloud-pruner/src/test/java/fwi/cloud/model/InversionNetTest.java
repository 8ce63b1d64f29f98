package fwi.cloud.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import fwi.cloud.graph.LayerStats;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InversionNet.LayerSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

public class InversionNetTest {
  private static ModelProto full;
  private static ModelSummary fullSummary;

  @BeforeAll
  static void buildFullWidth() throws Exception {
    full = InversionNet.build(InversionNetConfig.defaults());
    fullSummary = ModelCounter.count(full);
  }

  @Test
  void fullWidthHasThePublishedTrainableParameterCount() {
    assertEquals(24_409_123L, fullSummary.params());
    assertEquals(8_642L, fullSummary.buffers());
  }

  @Test
  void fullWidthCostsTwoPointZeroNineFourGigaMacsPerSample() {
    assertEquals(2.094, fullSummary.macs() / 1e9, 0.0005);
    assertEquals(oracleMacs(1.0), fullSummary.macs());
  }

  @Test
  void everyLayerOutputShapeMatchesTheConvolutionFormulas() {
    // Independent oracle: walk the layer table with the textbook formulas.
    long h = InversionNet.TIME_SAMPLES;
    long w = InversionNet.RECEIVERS;
    List<LayerStats> layers = fullSummary.layers();
    assertEquals(InversionNet.LAYERS.size(), layers.size());
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = InversionNet.LAYERS.get(i);
      if (l.transposed()) {
        h = (h - 1) * l.strideH() - 2L * l.padH() + l.kernelH();
        w = (w - 1) * l.strideW() - 2L * l.padW() + l.kernelW();
      } else {
        h = Math.floorDiv(h + 2L * l.padH() - l.kernelH(), l.strideH()) + 1;
        w = Math.floorDiv(w + 2L * l.padW() - l.kernelW(), l.strideW()) + 1;
      }
      if (l.name().equals("deconv6")) {
        // the crop of 5 on each side happened before this layer
        assertEquals(70, h);
      }
      assertEquals(l.name(), layers.get(i).name());
      assertArrayEquals(new long[] {l.outChannels(), h, w}, layers.get(i).outputShape(), l.name());
      if (l.name().equals(InversionNet.CROP_AFTER)) {
        h -= 2 * InversionNet.CROP;
        w -= 2 * InversionNet.CROP;
      }
    }
  }

  @Test
  void layerTableMatchesThePublishedOutputShapes() {
    Map<String, long[]> published = Map.of(
        "convblock1", new long[] {32, 500, 70}, "convblock4_1", new long[] {128, 63, 70},
        "convblock5_1", new long[] {128, 32, 35}, "convblock6_1", new long[] {256, 16, 18},
        "convblock7_2", new long[] {256, 8, 9}, "convblock8", new long[] {512, 1, 1},
        "deconv1_1", new long[] {512, 5, 5}, "deconv2_1", new long[] {256, 10, 10},
        "deconv5_2", new long[] {32, 80, 80}, "deconv6", new long[] {1, 70, 70});
    for (LayerStats l : fullSummary.layers()) {
      if (published.containsKey(l.name())) {
        assertArrayEquals(published.get(l.name()), l.outputShape(), l.name());
      }
    }
    assertEquals(9_437_696L, fullSummary.layers().stream().filter(l -> l.name().equals("convblock8"))
        .findFirst().orElseThrow().params() - 2 * 512, "convblock8 conv weights and bias");
  }

  @Test
  void halfWidthHalvesEveryInnerChannelCount() throws Exception {
    ModelSummary half = ModelCounter.count(InversionNet.build(InversionNetConfig.defaults().withWidth(0.5)));
    assertEquals(oracleParams(0.5), half.params());
    assertEquals(oracleMacs(0.5), half.macs());
    assertEquals(16, half.layers().get(0).outChannels());
    assertEquals(5, half.layers().get(0).inChannels());
    assertEquals(1, half.layers().get(half.layers().size() - 1).outChannels());
  }

  @Test
  void rejectsWidthOfZeroNamingTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InversionNetConfig.defaults().withWidth(0));
    assertEquals("width must be in (0, 2], but was 0.0", e.getMessage());
  }

  @Test
  void rejectsNegativeWidthNamingTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InversionNetConfig.defaults().withWidth(-0.5));
    assertEquals("width must be in (0, 2], but was -0.5", e.getMessage());
  }

  @Test
  void sameSeedGivesTheSameBytesAndAnotherSeedDoesNot() {
    InversionNetConfig c = InversionNetConfig.defaults().withWidth(0.125);
    byte[] a = InversionNet.build(c).toByteArray();
    byte[] b = InversionNet.build(c).toByteArray();
    byte[] other = InversionNet.build(c.withSeed(1)).toByteArray();
    assertEquals(OnnxModels.sha256(a), OnnxModels.sha256(b));
    assertNotEquals(OnnxModels.sha256(a), OnnxModels.sha256(other));
  }

  @Test
  void convWeightsFollowPyTorchKaimingUniformBounds() throws Exception {
    // Conv: fan_in = C_in·kH·kW. ConvTranspose: PyTorch takes fan_in from weight dim 1 = C_out.
    assertUniform("convblock1.weight", 1 / Math.sqrt(5 * 7 * 1));
    assertUniform("convblock8.weight", 1 / Math.sqrt(256 * 8 * 9));
    assertUniform("deconv1_1.weight", 1 / Math.sqrt(512 * 5 * 5));
    assertUniform("deconv2_1.weight", 1 / Math.sqrt(256 * 4 * 4));
    assertUniform("deconv2_1.bias", 1 / Math.sqrt(256 * 4 * 4));
  }

  @Test
  void batchNormStartsAsIdentity() throws Exception {
    OnnxGraph g = new OnnxGraph(full);
    for (String suffix : List.of("weight", "bias", "running_mean", "running_var")) {
      float expected = suffix.equals("weight") || suffix.equals("running_var") ? 1f : 0f;
      for (float v : OnnxGraph.floatValues(g.initializer("deconv3_2.bn." + suffix).orElseThrow())) {
        assertEquals(expected, v, suffix);
      }
    }
  }

  @Test
  void writesOpsetSeventeenIrEightAndDescriptiveMetadata() {
    assertEquals(8, full.getIrVersion());
    assertEquals(17, full.getOpsetImport(0).getVersion());
    Map<String, String> md = OnnxModels.metadata(full);
    assertEquals("InversionNet", md.get(ModelMetadata.NAME));
    assertEquals("1", md.get(ModelMetadata.VERSION));
    assertEquals("1.0", md.get(ModelMetadata.WIDTH));
    assertEquals(ModelMetadata.NO_PARENT, md.get(ModelMetadata.PARENT_SHA256));
    assertEquals("-26.95", md.get(ModelMetadata.SEISMIC_RAW_MIN));
    assertEquals("52.77", md.get(ModelMetadata.SEISMIC_RAW_MAX));
    assertEquals("1500.0", md.get(ModelMetadata.VELOCITY_SCALE_MPS));
    assertEquals("3000.0", md.get(ModelMetadata.VELOCITY_OFFSET_MPS));
    assertEquals(InversionNet.CORE_INPUT, md.get(ModelMetadata.CORE_INPUT));
    assertEquals(InversionNet.CORE_OUTPUT, md.get(ModelMetadata.CORE_OUTPUT));
  }

  private static void assertUniform(String name, double bound) throws Exception {
    TensorProto t = new OnnxGraph(full).initializer(name).orElseThrow();
    float[] v = OnnxGraph.floatValues(t);
    double max = 0;
    double sumSq = 0;
    for (float x : v) {
      max = Math.max(max, Math.abs(x));
      sumSq += x * (double) x;
    }
    assertTrue(max <= bound * (1 + 1e-6), name + " max |w| " + max + " exceeds bound " + bound);
    assertTrue(max > 0.95 * bound, name + " max |w| " + max + " far below bound " + bound);
    double std = Math.sqrt(sumSq / v.length);
    assertEquals(bound / Math.sqrt(3), std, 0.05 * bound, name + " std of U(-b, b) is b/√3");
  }

  /** {@link #oracleParams} for other test packages. */
  public static long oracleParamsFor(double width) {
    return oracleParams(width);
  }

  /** {@link #oracleMacs} for other test packages. */
  public static long oracleMacsFor(double width) {
    return oracleMacs(width);
  }

  /** MACs from the layer table alone, with the convention of inversionnet.md. */
  static long oracleMacs(double width) {
    long h = InversionNet.TIME_SAMPLES;
    long w = InversionNet.RECEIVERS;
    long macs = 0;
    for (int i = 0; i < InversionNet.LAYERS.size(); i++) {
      LayerSpec l = InversionNet.LAYERS.get(i);
      long cin = InversionNet.channels(l.inChannels(), width, i == 0);
      long cout = InversionNet.channels(l.outChannels(), width, i == InversionNet.LAYERS.size() - 1);
      long k = (long) l.kernelH() * l.kernelW();
      if (l.transposed()) {
        macs += cin * cout * k * h * w;
        h = (h - 1) * l.strideH() - 2L * l.padH() + l.kernelH();
        w = (w - 1) * l.strideW() - 2L * l.padW() + l.kernelW();
      } else {
        h = (h + 2L * l.padH() - l.kernelH()) / l.strideH() + 1;
        w = (w + 2L * l.padW() - l.kernelW()) / l.strideW() + 1;
        macs += cin * cout * k * h * w;
      }
      if (l.name().equals(InversionNet.CROP_AFTER)) {
        h -= 10;
        w -= 10;
      }
    }
    return macs;
  }

  /** Trainable parameters from the layer table: weights, biases, BatchNorm scale and shift. */
  static long oracleParams(double width) {
    long p = 0;
    for (int i = 0; i < InversionNet.LAYERS.size(); i++) {
      LayerSpec l = InversionNet.LAYERS.get(i);
      long cin = InversionNet.channels(l.inChannels(), width, i == 0);
      long cout = InversionNet.channels(l.outChannels(), width, i == InversionNet.LAYERS.size() - 1);
      p += cin * cout * l.kernelH() * l.kernelW() + cout + 2 * cout;
    }
    return p;
  }
}
