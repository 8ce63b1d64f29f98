package fwi.edge.ota;

import fwi.edge.testing.TestModels;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SmokeTestTest {
  private static final SmokeTest SMOKE = new SmokeTest(new RunnerOptions(1), 100, 10_000, Duration.ofSeconds(5), 3);

  private static Optional<ManifestBody> declaring(long[] in, long[] out) {
    ManifestBody.Builder b = ManifestBody.newBuilder();
    b.addInputsBuilder().setName("x").setElementType("FLOAT").addAllDims(java.util.Arrays.stream(in).boxed().toList());
    b.addOutputsBuilder().setName("y").setElementType("FLOAT").addAllDims(java.util.Arrays.stream(out).boxed().toList());
    return Optional.of(b.build());
  }

  @Test
  void passesAModelWithPlausibleVelocitiesAndHandsOverTheLoadedRunner() throws Exception {
    SmokeTest.Passed p = SMOKE.run(TestModels.plus(1500, -1, 4), "plus", declaring(new long[] {-1, 4}, new long[] {-1, 4}));
    try {
      assertTrue(p.medianLatencyNanos() > 0);
      assertEquals("x[N, 4]", p.runner().input().toString());
    } finally {
      p.runner().close();
    }
  }

  @Test
  void referenceInputIsBatchOneWithFreeDimensionsOneAndTheSameEveryTime() throws Exception {
    FloatTensor a = SmokeTest.referenceInput(new fwi.runtime.ort.TensorSpec("g", new long[] {-1, 5, -1, 7}));
    FloatTensor b = SmokeTest.referenceInput(new fwi.runtime.ort.TensorSpec("g", new long[] {-1, 5, -1, 7}));
    assertEquals("[1, 5, 1, 7]", a.shape().toString());
    assertEquals(java.util.Arrays.toString(a.data()), java.util.Arrays.toString(b.data()));
  }

  @Test
  void reportsModelLoadFailedWithOnnxRuntimesMessage() {
    OtaException e = assertThrows(OtaException.class,
        () -> SMOKE.run(TestModels.unary("FwiNoSuchOp", -1, 4), "broken", Optional.empty()));
    assertEquals(OtaReason.OTA_REASON_MODEL_LOAD_FAILED, e.reason());
    assertTrue(e.detail().startsWith("broken: ONNX Runtime refused the model: "), e.detail());
    assertTrue(e.detail().contains("FwiNoSuchOp"), e.detail());
  }

  @Test
  void reportsTheFirstNonFiniteOutputValueAndItsIndex() throws Exception {
    OtaException e = assertThrows(OtaException.class,
        () -> SMOKE.run(TestModels.unary("Log", -1, 4), "log", Optional.empty()));
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_OUTPUT_INVALID, e.reason());
    float[] in = SmokeTest.referenceInput(new fwi.runtime.ort.TensorSpec("x", new long[] {-1, 4})).data();
    int first = 0;
    while (in[first] >= 0) {
      first++;
    }
    assertEquals("output value at index " + first + " of [1, 4] must be finite, but was NaN", e.detail());
  }

  @Test
  void reportsInfiniteOutputOfADivisionByZero() {
    OtaException e = assertThrows(OtaException.class,
        () -> SMOKE.run(TestModels.dividedBy(0, -1, 4), "div0", Optional.empty()));
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_OUTPUT_INVALID, e.reason());
    assertTrue(e.detail().startsWith("output value at index 0 of [1, 4] must be finite, but was "), e.detail());
  }

  @Test
  void reportsAnImplausibleVelocityNamingValueAndIndex() throws Exception {
    OtaException e = assertThrows(OtaException.class,
        () -> SMOKE.run(TestModels.plus(20_000, -1, 4), "fast", Optional.empty()));
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_OUTPUT_INVALID, e.reason());
    float first = SmokeTest.referenceInput(new fwi.runtime.ort.TensorSpec("x", new long[] {-1, 4})).data()[0] + 20_000;
    assertEquals("output value at index 0 of [1, 4] must be a plausible velocity in [100.0, 10000.0] m/s, but was "
        + first, e.detail());
  }

  @Test
  void reportsAShapeThatDiffersFromTheManifest() {
    OtaException e = assertThrows(OtaException.class, () -> SMOKE.run(TestModels.plus(1500, -1, 4), "plus",
        declaring(new long[] {-1, 5}, new long[] {-1, 4})));
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_SHAPE_MISMATCH, e.reason());
    assertEquals("model input must be x[N, 5] as the manifest declares, but was x[N, 4]", e.detail());
  }

  @Test
  void reportsMedianLatencyAboveTheBudget() {
    SmokeTest strict = new SmokeTest(new RunnerOptions(1), 100, 10_000, Duration.ofNanos(1), 3);
    OtaException e = assertThrows(OtaException.class,
        () -> strict.run(TestModels.plus(1500, -1, 4), "plus", Optional.empty()));
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_LATENCY_EXCEEDED, e.reason());
    assertTrue(e.detail().matches("median latency of 3 runs on input \\[1, 4\\] must be at most 0.000 ms, but was [0-9.]+ ms"),
        e.detail());
  }
}
