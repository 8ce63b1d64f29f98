package fwi.cloud.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.stats.LatencySummary;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LayerBenchmarkTest {
  private static List<LayerKey> keys;

  @BeforeAll
  static void build() throws Exception {
    keys = LayerKey.of(InversionNet.build(InversionNetConfig.defaults().withWidth(0.125)));
  }

  @Test
  void blockModelsOfPrunedInversionNetLayersRunWithTheLayersOutputShape() throws Exception {
    for (String name : List.of("convblock1", "convblock8", "deconv2_1", "deconv6")) {
      LayerKey k = keys.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
      int cin = name.equals("convblock1") ? k.inChannels() : Math.max(1, k.inChannels() / 2);
      int cout = name.equals("deconv6") ? k.outChannels() : Math.max(1, k.outChannels() / 2);
      assertEquals(Shape.of(1, cout, k.outHeight(), k.outWidth()), runBlock(k, cin, cout), name);
    }
  }

  @Test
  void blockModelReproducesConvTransposeOutputPadding() throws Exception {
    // 5 -> 10 with kernel 3, stride 2, pad 1 needs output_padding 1: 2·4 + 3 - 2 = 9, plus 1
    LayerKey k = new LayerKey("up", "ConvTranspose", List.of(3, 3), List.of(2, 2), List.of(1, 1, 1, 1), List.of(1, 1), 1,
        5, 5, 10, 10, 6, 4, List.of("Relu"));
    assertEquals(List.of(1, 1), k.outputPadding());
    assertEquals(Shape.of(1, 3, 10, 10), runBlock(k, 5, 3));
  }

  @Test
  void depthwiseBlockShrinksGroupWithItsChannels() throws Exception {
    LayerKey k = new LayerKey("dw", "Conv", List.of(3, 3), List.of(1, 1), List.of(1, 1, 1, 1), List.of(1, 1), 8, 6, 6,
        6, 6, 8, 8, List.of("BatchNormalization", "Relu"));
    assertEquals(3, k.groupAt(3, 3));
    assertEquals(Shape.of(1, 3, 6, 6), runBlock(k, 3, 3));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerBenchmark.blockModel(k, 3, 4));
    assertEquals("layer 'dw' is depthwise: input and output channels must be equal, but were 3 -> 4", e.getMessage());
  }

  @Test
  void measuresAPositiveMedianFromTheTimedRuns() throws Exception {
    LatencySummary s = LayerBenchmark.measureLayer(keys.get(2), 4, 4, new RunnerOptions(1), 1, 3);
    assertEquals(3, s.count());
    assertTrue(s.p50Us() > 0, s.toString());
  }

  private static Shape runBlock(LayerKey k, int cin, int cout) throws Exception {
    byte[] bytes = LayerBenchmark.blockModel(k, cin, cout).toByteArray();
    try (ModelRunner r = ModelRunner.open(bytes, new RunnerOptions(1), k.name())) {
      return r.run(FloatTensor.zeros(Shape.of(1, cin, k.inHeight(), k.inWidth()))).shape();
    }
  }
}
