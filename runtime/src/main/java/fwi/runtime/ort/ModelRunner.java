package fwi.runtime.ort;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * One ONNX Runtime session for a model with one float32 input and one float32 output, for example
 * InversionNet: {@code gathers [N, 5, 1000, 70]} in, {@code velocity [N, 1, 70, 70]} out.
 *
 * <p>Every {@link #run} checks the input against the model's declared input and the result
 * against its declared output. Thread-safety: {@link #run} may be called from several threads at
 * once (ONNX Runtime sessions are thread-safe for inference), but {@link #close} must not run
 * concurrently with a {@link #run}; whoever swaps models coordinates that.
 */
public final class ModelRunner implements AutoCloseable {
  private final OrtEnvironment env;
  private final OrtSession session;
  private final TensorSpec input;
  private final TensorSpec output;
  private final RunnerOptions options;

  private ModelRunner(OrtSession session, RunnerOptions options) throws ModelLoadException {
    this.env = OrtEnvironment.getEnvironment();
    this.session = session;
    this.options = options;
    try {
      this.input = singleFloat("input", session.getInputInfo());
      this.output = singleFloat("output", session.getOutputInfo());
    } catch (OrtException | ModelLoadException e) {
      closeQuietly(session, e);
      throw e instanceof ModelLoadException m ? m : new ModelLoadException(e.getMessage(), e);
    }
  }

  private static void closeQuietly(OrtSession s, Exception cause) {
    try {
      s.close();
    } catch (OrtException e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * Loads a model file.
   *
   * @throws ModelLoadException if ONNX Runtime refuses the model, naming the file and its reason
   * @throws IOException if the file cannot be read
   */
  public static ModelRunner open(Path model, RunnerOptions options) throws ModelLoadException, IOException {
    if (!Files.isReadable(model)) {
      throw new java.nio.file.NoSuchFileException(model.toString(), null, "model file missing or not readable");
    }
    // ONNX Runtime reads the file itself: no copy of the weights passes through the Java heap,
    // which matters on a Pi where a full-width model is ~100 MB.
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = sessionOptions(options)) {
      return new ModelRunner(env.createSession(model.toString(), so), options);
    } catch (OrtException e) {
      throw new ModelLoadException(model + ": ONNX Runtime refused the model: " + e.getMessage(), e);
    }
  }

  private static OrtSession.SessionOptions sessionOptions(RunnerOptions options) throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    try {
      so.setIntraOpNumThreads(options.intraOpThreads());
      so.setInterOpNumThreads(1);
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // ONNX Runtime's load-time warnings about a model it accepts anyway (old opset, duplicate
      // initializers) go straight to stderr past our logging; a refusal still reaches the caller
      // as ModelLoadException with ONNX Runtime's message.
      so.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      if (!options.spinning()) {
        so.addConfigEntry("session.intra_op.allow_spinning", "0");
      }
      return so;
    } catch (OrtException e) {
      so.close();
      throw e;
    }
  }

  /**
   * Loads a model from its serialized bytes.
   *
   * @param source names the model in error messages
   * @throws ModelLoadException if ONNX Runtime refuses the model
   */
  public static ModelRunner open(byte[] model, RunnerOptions options, String source) throws ModelLoadException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = sessionOptions(options)) {
      return new ModelRunner(env.createSession(model, so), options);
    } catch (OrtException e) {
      throw new ModelLoadException(source + ": ONNX Runtime refused the model: " + e.getMessage(), e);
    }
  }

  private static TensorSpec singleFloat(String what, Map<String, NodeInfo> infos) throws ModelLoadException {
    if (infos.size() != 1) {
      throw new ModelLoadException("model must have exactly one " + what + ", but has " + infos.size()
          + ": " + infos.keySet());
    }
    NodeInfo n = infos.values().iterator().next();
    if (!(n.getInfo() instanceof TensorInfo ti) || ti.type != OnnxJavaType.FLOAT) {
      throw new ModelLoadException("model " + what + " '" + n.getName() + "' must be a float32 tensor, but is "
          + n.getInfo());
    }
    return new TensorSpec(n.getName(), ti.getShape());
  }

  /** The declared input, for example {@code gathers[N, 5, 1000, 70]}. */
  public TensorSpec input() {
    return input;
  }

  /** The declared output, for example {@code velocity[N, 1, 70, 70]}. */
  public TensorSpec output() {
    return output;
  }

  public RunnerOptions options() {
    return options;
  }

  /** The model's {@code metadata_props}, as ONNX Runtime reads them. */
  public Map<String, String> metadata() {
    try {
      return Map.copyOf(session.getMetadata().getCustomMetadata());
    } catch (OrtException e) {
      throw new IllegalStateException("cannot read model metadata: " + e.getMessage(), e);
    }
  }

  /**
   * Runs the model on a batch.
   *
   * @param batch shaped as {@link #input()} declares, any size where the model leaves a dimension free
   * @return the model's output, shaped as {@link #output()} declares
   * @throws ShapeMismatchException if the input (or, for a broken model, the output) has the wrong shape
   * @throws InferenceException if ONNX Runtime fails while running
   */
  public FloatTensor run(FloatTensor batch) throws InferenceException {
    if (!input.accepts(batch.shape())) {
      throw new ShapeMismatchException("input '" + input.name() + "' must have shape " + input.describeDims()
          + ", but was " + batch.shape());
    }
    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(batch.data()), batch.shape().toLongArray());
        OrtSession.Result result = session.run(Map.of(input.name(), in))) {
      OnnxTensor out = (OnnxTensor) result.get(0);
      Shape shape = Shape.of(out.getInfo().getShape());
      if (!output.accepts(shape) || shape.dim(0) != batch.shape().dim(0)) {
        throw new ShapeMismatchException("output '" + output.name() + "' must have shape " + output.describeDims()
            + " with batch " + batch.shape().dim(0) + ", but was " + shape);
      }
      FloatBuffer fb = out.getFloatBuffer();
      float[] values = new float[fb.remaining()];
      fb.get(values);
      return new FloatTensor(shape, values);
    } catch (OrtException e) {
      throw new InferenceException("ONNX Runtime failed on input " + batch.shape() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing the ONNX Runtime session failed: " + e.getMessage(), e);
    }
  }
}
