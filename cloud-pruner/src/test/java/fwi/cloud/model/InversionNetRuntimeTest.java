package fwi.cloud.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.ort.ShapeMismatchException;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The built graph as ONNX Runtime sees it. */
class InversionNetRuntimeTest {
  private static final RunnerOptions ONE_THREAD = new RunnerOptions(1);

  @Test
  void fullWidthModelMapsRandomGathersToVelocitiesWithinTheOpenFwiRange() throws Exception {
    byte[] model = InversionNet.build(InversionNetConfig.defaults()).toByteArray();
    try (ModelRunner r = ModelRunner.open(model, RunnerOptions.defaults(), "full width")) {
      assertEquals("gathers[N, 5, 1000, 70]", r.input().toString());
      assertEquals("velocity[N, 1, 70, 70]", r.output().toString());
      FloatTensor v = r.run(gathers(2, 1));
      assertEquals(Shape.of(2, 1, 70, 70), v.shape());
      assertWithinVelocityRange(v);
    }
  }

  @Test
  void batchedRunEqualsSampleBySampleRuns() throws Exception {
    byte[] model = InversionNet.build(InversionNetConfig.defaults().withWidth(0.25)).toByteArray();
    try (ModelRunner r = ModelRunner.open(model, ONE_THREAD, "width 0.25")) {
      FloatTensor batch = gathers(3, 2);
      FloatTensor all = r.run(batch);
      for (int i = 0; i < 3; i++) {
        FloatTensor one = r.run(batch.slice(i));
        assertArrayEquals(one.data(), all.slice(i).data(), 1e-2f, "sample " + i);
      }
    }
  }

  @Test
  void cropAsNegativePadGivesTheSameVelocitiesAsCropAsSlice() throws Exception {
    InversionNetConfig c = InversionNetConfig.defaults().withWidth(0.25);
    FloatTensor x = gathers(1, 3);
    try (ModelRunner slice = ModelRunner.open(InversionNet.build(c).toByteArray(), ONE_THREAD, "slice");
        ModelRunner pad = ModelRunner.open(InversionNet.build(c.withCrop(InversionNetConfig.CropStyle.PAD)).toByteArray(),
            ONE_THREAD, "pad")) {
      assertArrayEquals(slice.run(x).data(), pad.run(x).data(), 1e-3f);
    }
  }

  @Test
  void preprocessingInTheGraphIsOpenFwiLogMinMaxNormalization() throws Exception {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125));
    // Cut the graph at the core input: what the network's first conv sees.
    ModelProto pre = m.toBuilder().setGraph(m.getGraph().toBuilder().clearOutput()
        .addOutput(ValueInfoProto.newBuilder().setName(InversionNet.CORE_INPUT)
            .setType(m.getGraph().getInput(0).getType()))).build();
    FloatTensor x = gathers(1, 4);
    float[] raw = x.data();
    raw[0] = -26.95f;
    raw[1] = 52.77f;
    raw[2] = 0f;
    try (ModelRunner r = ModelRunner.open(pre.toByteArray(), ONE_THREAD, "pre")) {
      float[] y = r.run(x).data();
      assertEquals(-1f, y[0], 1e-5f);
      assertEquals(1f, y[1], 1e-5f);
      for (int i = 0; i < 5000; i++) {
        assertEquals(Normalization.FLATVEL_A.normalizeSeismic(raw[i]), y[i], 1e-5, "element " + i);
      }
    }
  }

  @Test
  void refusesGathersWithTooFewTimeSamplesNamingBothShapes() throws Exception {
    byte[] model = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125)).toByteArray();
    try (ModelRunner r = ModelRunner.open(model, ONE_THREAD, "w")) {
      ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
          () -> r.run(FloatTensor.zeros(Shape.of(1, 5, 999, 70))));
      assertEquals("input 'gathers' must have shape [N, 5, 1000, 70], but was [1, 5, 999, 70]", e.getMessage());
    }
  }

  @Test
  void metadataIsReadableByOnnxRuntime() throws Exception {
    byte[] model = InversionNet.build(InversionNetConfig.defaults().withWidth(0.125).withVersion(7)).toByteArray();
    try (ModelRunner r = ModelRunner.open(model, ONE_THREAD, "w")) {
      assertEquals("7", r.metadata().get(ModelMetadata.VERSION));
      assertEquals("0.125", r.metadata().get(ModelMetadata.WIDTH));
    }
  }

  static FloatTensor gathers(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n * 5 * 1000 * 70];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * 20);
    }
    return new FloatTensor(Shape.of(n, 5, 1000, 70), v);
  }

  private static void assertWithinVelocityRange(FloatTensor v) {
    for (float x : v.data()) {
      assertTrue(x >= 1500f && x <= 4500f, "velocity " + x + " m/s outside [1500, 4500]");
    }
  }
}
