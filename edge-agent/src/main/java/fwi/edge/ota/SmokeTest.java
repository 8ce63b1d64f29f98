package fwi.edge.ota;

import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelLoadException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.ort.ShapeMismatchException;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Checks a candidate model before it may serve: ONNX Runtime loads it (MODEL_LOAD_FAILED with
 * ORT's message otherwise), its declared input and output match the manifest
 * (SMOKE_TEST_SHAPE_MISMATCH), and on a fixed reference input (batch 1, every free dimension 1,
 * fixed-seed Gaussian values) one warm-up and {@code runs} timed inferences give only finite
 * values within the plausible velocity range (SMOKE_TEST_OUTPUT_INVALID, naming the first bad
 * value and its index) at a median latency within the budget (SMOKE_TEST_LATENCY_EXCEEDED).
 *
 * <p>Immutable and thread-safe; each call loads its own session.
 */
public final class SmokeTest {
  /** Seed of the reference input: the same values on every device and every run. */
  static final long SEED = 0x0F31_5EEDL;
  /** Most values one sample of a model's input may have: 48x InversionNet's 5 x 1000 x 70 (64 MiB of float32). */
  static final long MAX_REFERENCE_ELEMENTS = 1L << 24;

  /**
   * A model that passed, still loaded.
   *
   * @param runner the loaded session; the caller owns it and must close it
   * @param medianLatencyNanos median latency of the timed runs
   */
  public record Passed(ModelRunner runner, long medianLatencyNanos) {
  }

  private final RunnerOptions options;
  private final double minVelocity;
  private final double maxVelocity;
  private final Duration latencyBudget;
  private final int runs;

  /**
   * @param options session options of the runner handed to the caller (those it will serve with)
   * @param minVelocity lowest plausible output value, m/s
   * @param maxVelocity highest plausible output value, m/s, above {@code minVelocity}
   * @param latencyBudget largest median latency allowed, positive
   * @param runs timed inferences, at least 1
   */
  public SmokeTest(RunnerOptions options, double minVelocity, double maxVelocity, Duration latencyBudget, int runs) {
    if (!(maxVelocity > minVelocity) || !Double.isFinite(minVelocity) || !Double.isFinite(maxVelocity)) {
      throw new IllegalArgumentException("velocity range must be finite with min < max, but was [" + minVelocity + ", "
          + maxVelocity + "]");
    }
    if (latencyBudget.isNegative() || latencyBudget.isZero()) {
      throw new IllegalArgumentException("latency budget must be positive, but was " + latencyBudget);
    }
    if (runs < 1) {
      throw new IllegalArgumentException("smoke test runs must be at least 1, but was " + runs);
    }
    this.options = options;
    this.minVelocity = minVelocity;
    this.maxVelocity = maxVelocity;
    this.latencyBudget = latencyBudget;
    this.runs = runs;
  }

  /** The smoke test the settings describe. */
  public static SmokeTest of(OtaSettings s, RunnerOptions options) {
    return new SmokeTest(options, s.minVelocityMPerS(), s.maxVelocityMPerS(),
        Duration.ofMillis(s.smokeLatencyBudgetMs()), s.smokeRuns());
  }

  /**
   * Loads and checks a model; on failure the session is closed.
   *
   * @param source names the model in messages, for example its label
   * @param manifest declares the shapes the model must have; empty to skip that check (a
   *     previous model being restored)
   * @throws OtaException with the failed check's reason
   */
  public Passed run(byte[] model, String source, Optional<ManifestBody> manifest) throws OtaException {
    ModelRunner runner = load(model, source);
    try {
      return new Passed(runner, check(runner, manifest));
    } catch (OtaException | RuntimeException e) {
      runner.close();
      throw e;
    }
  }

  /**
   * Loads a model into a session with this test's options.
   *
   * @throws OtaException MODEL_LOAD_FAILED with ONNX Runtime's message
   */
  public ModelRunner load(byte[] model, String source) throws OtaException {
    try {
      return ModelRunner.open(model, options, source);
    } catch (ModelLoadException e) {
      throw new OtaException(OtaReason.OTA_REASON_MODEL_LOAD_FAILED, e.getMessage());
    }
  }

  /**
   * Checks a loaded model; does not close it.
   *
   * @return the median latency of the timed runs, nanoseconds
   * @throws OtaException SMOKE_TEST_SHAPE_MISMATCH, SMOKE_TEST_OUTPUT_INVALID or SMOKE_TEST_LATENCY_EXCEEDED
   */
  public long check(ModelRunner runner, Optional<ManifestBody> manifest) throws OtaException {
    if (manifest.isPresent()) {
      checkShape("input", runner.input(), manifest.get().getInputsList());
      checkShape("output", runner.output(), manifest.get().getOutputsList());
    }
    FloatTensor input = referenceInput(runner.input());
    long[] nanos = new long[runs];
    for (int r = -1; r < runs; r++) {
      long t0 = System.nanoTime();
      FloatTensor out = infer(runner, input);
      long t = System.nanoTime() - t0;
      checkOutput(out);
      if (r >= 0) {
        nanos[r] = t;
      }
    }
    Arrays.sort(nanos);
    long median = nanos[(runs - 1) / 2];
    if (median > latencyBudget.toNanos()) {
      throw new OtaException(OtaReason.OTA_REASON_SMOKE_TEST_LATENCY_EXCEEDED, String.format(
          "median latency of %d runs on input %s must be at most %.3f ms, but was %.3f ms", runs, input.shape(),
          latencyBudget.toNanos() / 1e6, median / 1e6));
    }
    return median;
  }

  /**
   * The reference input for a declared input: batch 1 and every free dimension 1, values from a
   * fixed-seed standard Gaussian (shaped like a normalized shot gather; the graph normalizes raw input itself).
   */
  static FloatTensor referenceInput(fwi.runtime.ort.TensorSpec spec) throws OtaException {
    long[] dims = spec.dims();
    long count = 1;
    for (int i = 0; i < dims.length; i++) {
      dims[i] = i == 0 || dims[i] < 1 ? 1 : dims[i];
      count = Math.min(count * dims[i], MAX_REFERENCE_ELEMENTS + 1);
    }
    // checked before anything is allocated: the dimensions come from the model file
    if (dims.length == 0 || count > MAX_REFERENCE_ELEMENTS) {
      throw new OtaException(OtaReason.OTA_REASON_SMOKE_TEST_SHAPE_MISMATCH, "model input " + spec + " must have at "
          + "least one dimension and at most " + MAX_REFERENCE_ELEMENTS + " values per sample, but "
          + (dims.length == 0 ? "is a scalar" : "has more"));
    }
    Shape shape = Shape.of(dims);
    Random random = new Random(SEED);
    float[] values = new float[shape.elementCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return new FloatTensor(shape, values);
  }

  private static FloatTensor infer(ModelRunner runner, FloatTensor input) throws OtaException {
    try {
      return runner.run(input);
    } catch (ShapeMismatchException e) {
      throw new OtaException(OtaReason.OTA_REASON_SMOKE_TEST_SHAPE_MISMATCH, e.getMessage());
    } catch (InferenceException e) {
      throw new OtaException(OtaReason.OTA_REASON_SMOKE_TEST_OUTPUT_INVALID, "inference on the reference input "
          + input.shape() + " failed: " + e.getMessage());
    }
  }

  private void checkOutput(FloatTensor out) throws OtaException {
    int bad = out.firstNonFinite();
    float[] v = out.data();
    if (bad >= 0) {
      throw new OtaException(OtaReason.OTA_REASON_SMOKE_TEST_OUTPUT_INVALID, "output value at index " + bad
          + " of " + out.shape() + " must be finite, but was " + v[bad]);
    }
    for (int i = 0; i < v.length; i++) {
      if (v[i] < minVelocity || v[i] > maxVelocity) {
        throw new OtaException(OtaReason.OTA_REASON_SMOKE_TEST_OUTPUT_INVALID, "output value at index " + i + " of "
            + out.shape() + " must be a plausible velocity in [" + minVelocity + ", " + maxVelocity
            + "] m/s, but was " + v[i]);
      }
    }
  }

  private static void checkShape(String what, fwi.runtime.ort.TensorSpec actual, List<fwi.proto.v1.TensorSpec> declared)
      throws OtaException {
    if (declared.size() != 1) {
      throw new OtaException(OtaReason.OTA_REASON_SMOKE_TEST_SHAPE_MISMATCH, "manifest must declare one " + what
          + ", but declares " + declared.size());
    }
    long[] want = declared.get(0).getDimsList().stream().mapToLong(d -> d < 1 ? -1 : d).toArray();
    long[] have = Arrays.stream(actual.dims()).map(d -> d < 1 ? -1 : d).toArray();
    if (!Arrays.equals(want, have)) {
      throw new OtaException(OtaReason.OTA_REASON_SMOKE_TEST_SHAPE_MISMATCH, "model " + what + " must be "
          + ManifestVerifier.describe(declared.get(0)) + " as the manifest declares, but was " + actual);
    }
  }
}
