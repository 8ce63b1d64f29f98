package fwi.cloud.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.LayerStats;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LayerKeyTest {
  private static final double WIDTH = 0.125;
  private static ModelProto model;
  private static List<LayerKey> keys;

  /** Output H,W of every row of the layer table in inversionnet.md, written out by hand. */
  private static final int[][] TABLE_OUTPUT_HW = {
      {500, 70}, {250, 70}, {250, 70}, {125, 70}, {125, 70}, {63, 70}, {63, 70}, {32, 35}, {32, 35}, {16, 18},
      {16, 18}, {8, 9}, {8, 9}, {1, 1}, {5, 5}, {5, 5}, {10, 10}, {10, 10}, {20, 20}, {20, 20}, {40, 40}, {40, 40},
      {80, 80}, {80, 80}, {70, 70}};

  @BeforeAll
  static void build() throws Exception {
    model = InversionNet.build(InversionNetConfig.defaults().withWidth(WIDTH));
    keys = LayerKey.of(model);
  }

  @Test
  void findsTheTwentyFiveInversionNetLayersInOrderWithOutputSizesOfTheLayerTable() {
    assertEquals(25, keys.size());
    for (int i = 0; i < 25; i++) {
      LayerKey k = keys.get(i);
      assertEquals(InversionNet.LAYERS.get(i).name(), k.name());
      assertEquals(TABLE_OUTPUT_HW[i][0], k.outHeight(), k.name());
      assertEquals(TABLE_OUTPUT_HW[i][1], k.outWidth(), k.name());
    }
  }

  @Test
  void fullChannelsAreTheTableCountsScaledByWidthExceptTheNetworkInputAndOutput() {
    // convblock1 5->32, convblock4_1 64->128, convblock8 256->512, deconv2_1 512->256, deconv6 32->1 (inversionnet.md)
    assertChannels("convblock1", 5, 4);
    assertChannels("convblock4_1", 8, 16);
    assertChannels("convblock8", 32, 64);
    assertChannels("deconv2_1", 64, 32);
    assertChannels("deconv6", 4, 1);
  }

  @Test
  void recordsGeometryInputSizeAndTheFollowingChain() {
    LayerKey first = key("convblock1");
    assertEquals(new LayerKey("convblock1", "Conv", List.of(7, 1), List.of(2, 1), List.of(3, 0, 3, 0), List.of(1, 1), 1,
        1000, 70, 500, 70, 5, 4, List.of("BatchNormalization", "LeakyRelu")), first);
    LayerKey bottleneck = key("convblock8");
    assertEquals(List.of(8, 9), bottleneck.kernel());
    assertEquals(List.of(8, 9, 1, 1), List.of(bottleneck.inHeight(), bottleneck.inWidth(), bottleneck.outHeight(),
        bottleneck.outWidth()));
    LayerKey up = key("deconv1_1");
    assertEquals("ConvTranspose", up.op());
    assertEquals(List.of(5, 5), up.kernel());
    assertEquals(List.of(0, 0, 0, 0), up.pads());
    assertEquals(List.of(1, 1, 5, 5), List.of(up.inHeight(), up.inWidth(), up.outHeight(), up.outWidth()));
    assertEquals(List.of(0, 0), up.outputPadding());
    LayerKey last = key("deconv6");
    assertEquals(List.of(70, 70), List.of(last.inHeight(), last.inWidth()), "deconv6 reads the cropped 70x70 map");
    assertEquals(List.of("BatchNormalization", "Tanh"), last.chain());
    assertEquals(List.of("BatchNormalization", "LeakyRelu"), key("deconv5_2").chain(),
        "the crop after deconv5_2 is not part of its chain");
  }

  @Test
  void macsAgreeWithModelCounterForEveryLayer() throws Exception {
    List<LayerStats> stats = ModelCounter.count(model).layers();
    for (int i = 0; i < keys.size(); i++) {
      assertEquals(stats.get(i).macs(), keys.get(i).fullMacs(), keys.get(i).name());
    }
  }

  @Test
  void macsScaleWithInputTimesOutputChannels() {
    LayerKey k = key("deconv1_2"); // 64 -> 64 at this width
    assertEquals(k.fullMacs() / 4, k.macs(32, 32));
    assertEquals(5L * 5 * 3 * 7 * 9, k.macs(3, 7));
  }

  @Test
  void rejectsAConvWhoseOutputSizeContradictsItsGeometry() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LayerKey("c", "Conv",
        List.of(3, 3), List.of(1, 1), List.of(1, 1, 1, 1), List.of(1, 1), 1, 8, 8, 7, 8, 4, 4, List.of()));
    assertEquals("layer 'c': Conv geometry gives output size 8 on axis 0 for input size 8, but the output size was 7",
        e.getMessage());
  }

  @Test
  void rejectsChannelsAboveTheFullCountNamingLayerAndValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> key("convblock2_1").macs(5, 9));
    assertEquals("layer 'convblock2_1': channels must be in [1, 4] x [1, 8], but were 5 -> 9", e.getMessage());
  }

  private static void assertChannels(String name, int cin, int cout) {
    LayerKey k = key(name);
    assertEquals(List.of(cin, cout), List.of(k.inChannels(), k.outChannels()), name);
  }

  private static LayerKey key(String name) {
    return keys.stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow();
  }
}
