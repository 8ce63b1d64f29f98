package fwi.cloud.latency;

import static fwi.cloud.model.GraphBuilder.floatValue;
import static fwi.cloud.model.GraphBuilder.ints;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import fwi.cloud.model.GraphBuilder;
import fwi.cloud.model.InversionNet;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.ort.ModelLoadException;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.stats.LatencySummary;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times single layers and whole models on ONNX Runtime on this machine. Stateless; every call
 * opens and closes its own session, so calls may run on any thread (but should not run
 * concurrently if the timings are to mean anything).
 *
 * <p>A layer is timed as a one-block model: input {@code x [1, cin, inHeight, inWidth]}, the
 * Conv/ConvTranspose with random weights and bias and the key's attributes, then the key's chain
 * (BatchNormalization with random positive variance, activations with default attributes), output
 * {@code y [1, cout, outHeight, outWidth]}. The session is set up as {@link ModelRunner} sets it
 * up (intra-op threads as given, one inter-op thread, sequential, all graph optimizations), but
 * the timed loop feeds one pre-made native input tensor and does not copy the output back to Java:
 * inside a model a layer's activations never cross into Java, and those copies (megabytes for the
 * early layers) would otherwise be charged to the layer at every width.
 */
public final class LayerBenchmark {
  private LayerBenchmark() {}

  /**
   * The one-block model of {@code key} pruned to {@code cin -> cout} channels.
   *
   * @throws IllegalArgumentException if the channels are out of range or break the layer's grouping
   */
  public static ModelProto blockModel(LayerKey key, int cin, int cout) {
    int group = key.groupAt(cin, cout);
    boolean transposed = key.op().equals("ConvTranspose");
    int kh = key.kernel().get(0);
    int kw = key.kernel().get(1);
    SplittableRandom r = new SplittableRandom(31L * cin + cout);
    GraphBuilder g = new GraphBuilder(key.name() + "_block");
    g.input(floatValue("x", 1, cin, key.inHeight(), key.inWidth()));
    g.output(floatValue("y", 1, cout, key.outHeight(), key.outWidth()));
    long[] wShape = transposed ? new long[] {cin, cout / group, kh, kw} : new long[] {cout, cin / group, kh, kw};
    int fanIn = (transposed ? cout / group : cin / group) * kh * kw;
    double bound = 1 / Math.sqrt(fanIn);
    String w = g.floats("w", uniform(r, (int) (wShape[0] * wShape[1] * kh * kw), -bound, bound), wShape);
    String b = g.floats("b", uniform(r, cout, -bound, bound), cout);
    List<AttributeProto> attrs = new ArrayList<>(List.of(ints("kernel_shape", kh, kw),
        ints("strides", key.strides().get(0), key.strides().get(1)),
        ints("pads", key.pads().get(0), key.pads().get(1), key.pads().get(2), key.pads().get(3)),
        ints("dilations", key.dilations().get(0), key.dilations().get(1)),
        AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT).setI(group).build()));
    List<Integer> outPad = key.outputPadding();
    if (transposed && (outPad.get(0) != 0 || outPad.get(1) != 0)) {
      attrs.add(ints("output_padding", outPad.get(0), outPad.get(1)));
    }
    List<String> chain = key.chain();
    String t = g.node(key.op(), key.name(), chain.isEmpty() ? "y" : "conv_out", new String[] {"x", w, b},
        attrs.toArray(AttributeProto[]::new));
    for (int i = 0; i < chain.size(); i++) {
      String op = chain.get(i);
      String out = i == chain.size() - 1 ? "y" : "chain" + i;
      String[] inputs = op.equals("BatchNormalization")
          ? new String[] {t, g.floats("bn.scale", uniform(r, cout, 0.5, 1.5), cout),
              g.floats("bn.shift", uniform(r, cout, -0.5, 0.5), cout),
              g.floats("bn.mean", uniform(r, cout, -0.1, 0.1), cout),
              g.floats("bn.var", uniform(r, cout, 0.5, 1.5), cout)}
          : new String[] {t};
      t = g.node(op, op.toLowerCase(java.util.Locale.ROOT) + i, out, inputs);
    }
    return ModelProto.newBuilder().setIrVersion(InversionNet.IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(InversionNet.OPSET))
        .setProducerName("fwi-cloud-pruner latency benchmark").setGraph(g.build()).build();
  }

  /**
   * Times the one-block model of {@code key} at {@code cin -> cout}.
   *
   * @param warmup untimed runs first, at least 0
   * @param runs timed runs, at least 1
   * @throws ModelLoadException if ONNX Runtime refuses the block model
   * @throws InferenceException if a run fails
   */
  public static LatencySummary measureLayer(LayerKey key, int cin, int cout, RunnerOptions options, int warmup,
      int runs) throws ModelLoadException, InferenceException {
    byte[] model = blockModel(key, cin, cout).toByteArray();
    return time(model, new long[] {1, cin, key.inHeight(), key.inWidth()}, options, warmup, runs,
        "block " + key.name() + " " + cin + "->" + cout);
  }

  /**
   * Times a whole model end to end through {@link ModelRunner#run}, as a deployment runs it
   * (input copied in, output copied out), on random input in [-1, 1] of batch 1.
   *
   * @param source names the model in errors
   */
  public static LatencySummary measureModel(byte[] model, RunnerOptions options, int warmup, int runs, String source)
      throws ModelLoadException, InferenceException {
    checkRuns(warmup, runs);
    try (ModelRunner runner = ModelRunner.open(model, options, source)) {
      long[] dims = runner.input().dims();
      for (int i = 0; i < dims.length; i++) {
        dims[i] = dims[i] > 0 ? dims[i] : 1;
      }
      Shape shape = Shape.of(dims);
      FloatTensor input = new FloatTensor(shape, uniform(new SplittableRandom(7), shape.elementCount(), -1, 1));
      for (int i = 0; i < warmup; i++) {
        runner.run(input);
      }
      long[] nanos = new long[runs];
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        runner.run(input);
        nanos[i] = System.nanoTime() - t0;
      }
      return LatencySummary.ofNanos(nanos);
    }
  }

  /** The ONNX Runtime version of the loaded native library, for example {@code 1.29.0}. */
  public static String onnxRuntimeVersion() {
    return OrtEnvironment.getEnvironment().getVersion();
  }

  private static LatencySummary time(byte[] model, long[] inputShape, RunnerOptions options, int warmup, int runs,
      String source) throws ModelLoadException, InferenceException {
    checkRuns(warmup, runs);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session;
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(options.intraOpThreads());
      so.setInterOpNumThreads(1);
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      session = env.createSession(model, so);
    } catch (OrtException e) {
      throw new ModelLoadException(source + ": ONNX Runtime refused the model: " + e.getMessage(), e);
    }
    long count = 1;
    for (long d : inputShape) {
      count *= d;
    }
    FloatBuffer data = ByteBuffer.allocateDirect(Math.toIntExact(4 * count)).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
    data.put(uniform(new SplittableRandom(11), (int) count, -1, 1)).rewind();
    try (session; OnnxTensor in = OnnxTensor.createTensor(env, data, inputShape)) {
      Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), in);
      for (int i = 0; i < warmup; i++) {
        session.run(feed).close();
      }
      long[] nanos = new long[runs];
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        session.run(feed).close();
        nanos[i] = System.nanoTime() - t0;
      }
      return LatencySummary.ofNanos(nanos);
    } catch (OrtException e) {
      throw new InferenceException(source + ": ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  private static void checkRuns(int warmup, int runs) {
    if (warmup < 0 || runs < 1) {
      throw new IllegalArgumentException("warm-up runs must be at least 0 and timed runs at least 1, but were "
          + warmup + " and " + runs);
    }
  }

  private static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
    return v;
  }
}
