package fwi.cloud.prune;

import static fwi.cloud.model.GraphBuilder.floatValue;
import static fwi.cloud.model.GraphBuilder.ints;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.GraphBuilder;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.runtime.ort.ModelRunner;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Models, inputs and weight surgery shared by the pruning tests. */
final class Fixtures {
  private Fixtures() {}

  static ModelProto inversionNet(double width) {
    return InversionNet.build(InversionNetConfig.defaults().withWidth(width));
  }

  /**
   * InversionNet whose conv weights are scaled to keep activations at unit scale through all 25
   * layers (PyTorch's default initialization shrinks them about 3x per layer, leaving an untrained
   * network's output almost independent of its hidden channels, which would hide pruning mistakes).
   */
  static ModelProto livelyInversionNet(double width) throws Exception {
    ModelProto m = inversionNet(width);
    ModelProto.Builder b = m.toBuilder();
    for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
      TensorProto t = b.getGraph().getInitializer(i);
      if (t.getName().endsWith(".weight") && !t.getName().contains(".bn.")) {
        float[] v = OnnxGraph.floatValues(t);
        for (int k = 0; k < v.length; k++) {
          v[k] *= 2.4f;
        }
        b.getGraphBuilder().setInitializer(i, withValues(t, v));
      }
    }
    return b.build();
  }

  private static TensorProto withValues(TensorProto t, float[] v) {
    ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.asFloatBuffer().put(v);
    return t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(bb.array())).build();
  }

  /** Raw-amplitude gathers in the range of OpenFWI's FlatVel-A. */
  static FloatTensor gathers(int n, long seed) {
    return noise(Shape.of(n, 5, 1000, 70), seed, -20, 40);
  }

  static FloatTensor noise(Shape s, long seed, double lo, double hi) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[s.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + r.nextDouble() * (hi - lo));
    }
    return new FloatTensor(s, v);
  }

  /** Runs a model once on one thread. */
  static float[] run(ModelProto m, FloatTensor x) throws Exception {
    try (ModelRunner r = ModelRunner.open(m.toByteArray(), new RunnerOptions(1), "test model")) {
      return r.run(x).data();
    }
  }

  static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }

  /** Replaces an initializer's values along {@code axis} at {@code indices} with zeros. */
  static ModelProto zero(ModelProto m, String initializer, int axis, int... indices) throws Exception {
    ModelProto.Builder b = m.toBuilder();
    for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
      TensorProto t = b.getGraph().getInitializer(i);
      if (!t.getName().equals(initializer)) {
        continue;
      }
      float[] v = OnnxGraph.floatValues(t);
      long outer = 1;
      for (int a = 0; a < axis; a++) {
        outer *= t.getDims(a);
      }
      int n = (int) t.getDims(axis);
      int inner = (int) (v.length / outer / n);
      for (long o = 0; o < outer; o++) {
        for (int c : indices) {
          for (int k = 0; k < inner; k++) {
            v[(int) ((o * n + c) * inner + k)] = 0f;
          }
        }
      }
      b.getGraphBuilder().setInitializer(i, withValues(t, v));
      return b.build();
    }
    throw new AssertionError("no initializer " + initializer);
  }

  static long[] dims(ModelProto m, String initializer) {
    return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(initializer)).findFirst()
        .orElseThrow().getDimsList().stream().mapToLong(Long::longValue).toArray();
  }

  static ModelProto model(GraphBuilder g) {
    return ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(g.build()).build();
  }

  static float[] uniform(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1) * 0.5f;
    }
    return v;
  }

  /** A 3x3 Conv with bias, same padding; returns its output. */
  static String conv(GraphBuilder g, SplittableRandom r, String name, String x, int cin, int cout, int group) {
    String w = g.floats(name + ".weight", uniform(r, cout * cin / group * 9), cout, cin / group, 3, 3);
    String b = g.floats(name + ".bias", uniform(r, cout), cout);
    return g.node("Conv", name, new String[] {x, w, b}, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1),
        intAttr("group", group));
  }

  /** A bias-free 3x3 Conv from {@code cin} channels to the 2-channel graph output {@code y}. */
  static void head(GraphBuilder g, SplittableRandom r, String x, int cin) {
    g.node("Conv", "head", "y", new String[] {x, g.floats("head.weight", uniform(r, 2 * cin * 9), 2, cin, 3, 3)},
        ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1));
  }

  static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  static String relu(GraphBuilder g, String x) {
    return g.node("Relu", x + "/relu", new String[] {x});
  }

  /**
   * A residual network: {@code a = relu(conv_a(x)); b = relu(conv_b(a)) + a; c = relu(conv_c(b)) + b;
   * y = head(c)}. conv_a, conv_b and conv_c share one channel group of 8.
   */
  static ModelProto residual() {
    SplittableRandom r = new SplittableRandom(3);
    GraphBuilder g = new GraphBuilder("residual");
    g.input(floatValue("x", -1, 3, 12, 12));
    g.output(floatValue("y", -1, 2, 12, 12));
    String a = relu(g, conv(g, r, "conv_a", "x", 3, 8, 1));
    String b = g.node("Add", "add_b", new String[] {relu(g, conv(g, r, "conv_b", a, 8, 8, 1)), a});
    String c = g.node("Add", "add_c", new String[] {relu(g, conv(g, r, "conv_c", b, 8, 8, 1)), b});
    String mid = relu(g, conv(g, r, "conv_mid", c, 8, 6, 1));
    head(g, r, mid, 6);
    return model(g);
  }

  /** Two branches concatenated along channels: {@code y = head(concat(relu(conv_p(x)), relu(conv_q(x))))}. */
  static ModelProto concat() {
    SplittableRandom r = new SplittableRandom(4);
    GraphBuilder g = new GraphBuilder("concat");
    g.input(floatValue("x", -1, 3, 10, 10));
    g.output(floatValue("y", -1, 2, 10, 10));
    String p = relu(g, conv(g, r, "conv_p", "x", 3, 4, 1));
    String q = relu(g, conv(g, r, "conv_q", "x", 3, 6, 1));
    String cat = g.node("Concat", "cat", new String[] {p, q}, intAttr("axis", 1));
    head(g, r, cat, 10);
    return model(g);
  }

  /** {@code y = head(relu(dw(relu(conv_a(x)))))} with a depthwise conv of 8 groups. */
  static ModelProto depthwise() {
    SplittableRandom r = new SplittableRandom(5);
    GraphBuilder g = new GraphBuilder("depthwise");
    g.input(floatValue("x", -1, 3, 10, 10));
    g.output(floatValue("y", -1, 2, 10, 10));
    String a = relu(g, conv(g, r, "conv_a", "x", 3, 8, 1));
    String d = relu(g, conv(g, r, "dw", a, 8, 8, 8));
    head(g, r, d, 8);
    return model(g);
  }

  /** A classifier tail: {@code y = gemm(flatten(relu(conv_a(x))))}, 4 channels of 6x6 into 5 classes. */
  static ModelProto flattenGemm() {
    SplittableRandom r = new SplittableRandom(6);
    GraphBuilder g = new GraphBuilder("classifier");
    g.input(floatValue("x", -1, 3, 6, 6));
    g.output(floatValue("y", -1, 5));
    String a = relu(g, conv(g, r, "conv_a", "x", 3, 4, 1));
    String f = g.node("Flatten", "flatten", new String[] {a});
    g.node("Gemm", "fc", "y", new String[] {f, g.floats("fc.weight", uniform(r, 5 * 4 * 36), 5, 4 * 36),
        g.floats("fc.bias", uniform(r, 5), 5)}, intAttr("transB", 1));
    return model(g);
  }
}
