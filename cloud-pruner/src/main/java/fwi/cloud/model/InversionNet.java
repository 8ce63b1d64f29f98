package fwi.cloud.model;

import static fwi.cloud.model.GraphBuilder.floatAttr;
import static fwi.cloud.model.GraphBuilder.floatValue;
import static fwi.cloud.model.GraphBuilder.ints;
import static fwi.cloud.model.GraphBuilder.stringAttr;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds OpenFWI's InversionNet as a self-contained ONNX model: raw shot gathers in, velocity in
 * m/s out.
 *
 * <pre>
 * gathers  [N, 5, 1000, 70]  raw amplitudes: 5 shots, 1000 samples of 1 ms, 70 receivers
 *   pre:   sign(x)·log1p(|x|), then a·y + b to [-1, 1]          -> core_input
 *   core:  25 conv/convT blocks of the layer table, crop 80->70 -> core_output [N, 1, 70, 70] in (-1, 1)
 *   post:  1500·v_n + 3000                                       -> velocity [N, 1, 70, 70] m/s
 * </pre>
 *
 * The core is delimited by the tensors named in metadata {@link ModelMetadata#CORE_INPUT} and
 * {@link ModelMetadata#CORE_OUTPUT}; the pruner touches nothing outside it. Weights follow
 * PyTorch's default initialization, so a built model is what {@code InversionNet()} is before training.
 */
public final class InversionNet {
  /** ONNX IR version written: 8 is read by every runtime from ONNX 1.10 on. */
  public static final long IR_VERSION = 8;
  /** Default-domain opset written unless {@link InversionNetConfig#opset()} says otherwise. */
  public static final long OPSET = 17;

  public static final int SHOTS = 5;
  public static final int TIME_SAMPLES = 1000;
  public static final int RECEIVERS = 70;
  /** Velocity maps are MAP_SIZE x MAP_SIZE cells of 10 m. */
  public static final int MAP_SIZE = 70;
  /** The decoder produces 80x80; this many cells are cropped on each side. */
  public static final int CROP = 5;

  public static final String INPUT = "gathers";
  public static final String OUTPUT = "velocity";
  public static final String CORE_INPUT = "core_input";
  public static final String CORE_OUTPUT = "core_output";

  static final float LEAKY_SLOPE = 0.2f;
  static final float BN_EPSILON = 1e-5f;
  /** ONNX momentum is PyTorch's 1 - 0.1. */
  static final float BN_MOMENTUM = 0.9f;

  /**
   * One row of the layer table at full width.
   *
   * @param transposed ConvTranspose (weights {@code [C_in, C_out, kH, kW]}) rather than Conv ({@code [C_out, C_in, kH, kW]})
   */
  public record LayerSpec(String name, boolean transposed, int inChannels, int outChannels,
      int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {}

  /** The published architecture, in order (inversionnet.md). */
  public static final List<LayerSpec> LAYERS = List.of(
      conv("convblock1", 5, 32, 7, 1, 2, 1, 3, 0),
      conv("convblock2_1", 32, 64, 3, 1, 2, 1, 1, 0),
      conv("convblock2_2", 64, 64, 3, 1, 1, 1, 1, 0),
      conv("convblock3_1", 64, 64, 3, 1, 2, 1, 1, 0),
      conv("convblock3_2", 64, 64, 3, 1, 1, 1, 1, 0),
      conv("convblock4_1", 64, 128, 3, 1, 2, 1, 1, 0),
      conv("convblock4_2", 128, 128, 3, 1, 1, 1, 1, 0),
      conv("convblock5_1", 128, 128, 3, 3, 2, 2, 1, 1),
      conv("convblock5_2", 128, 128, 3, 3, 1, 1, 1, 1),
      conv("convblock6_1", 128, 256, 3, 3, 2, 2, 1, 1),
      conv("convblock6_2", 256, 256, 3, 3, 1, 1, 1, 1),
      conv("convblock7_1", 256, 256, 3, 3, 2, 2, 1, 1),
      conv("convblock7_2", 256, 256, 3, 3, 1, 1, 1, 1),
      conv("convblock8", 256, 512, 8, 9, 1, 1, 0, 0),
      convT("deconv1_1", 512, 512, 5, 2, 0),
      conv("deconv1_2", 512, 512, 3, 3, 1, 1, 1, 1),
      convT("deconv2_1", 512, 256, 4, 2, 1),
      conv("deconv2_2", 256, 256, 3, 3, 1, 1, 1, 1),
      convT("deconv3_1", 256, 128, 4, 2, 1),
      conv("deconv3_2", 128, 128, 3, 3, 1, 1, 1, 1),
      convT("deconv4_1", 128, 64, 4, 2, 1),
      conv("deconv4_2", 64, 64, 3, 3, 1, 1, 1, 1),
      convT("deconv5_1", 64, 32, 4, 2, 1),
      conv("deconv5_2", 32, 32, 3, 3, 1, 1, 1, 1),
      conv("deconv6", 32, 1, 3, 3, 1, 1, 1, 1));

  /** The layer after which the decoder output is cropped from 80x80 to 70x70. */
  static final String CROP_AFTER = "deconv5_2";
  /** ONNX Pad order: begins of N, C, H, W, then ends; negative values crop. */
  private static final long[] CROP_PADS = {0, 0, -CROP, -CROP, 0, 0, -CROP, -CROP};

  private InversionNet() {}

  private static LayerSpec conv(String n, int in, int out, int kh, int kw, int sh, int sw, int ph, int pw) {
    return new LayerSpec(n, false, in, out, kh, kw, sh, sw, ph, pw);
  }

  private static LayerSpec convT(String n, int in, int out, int k, int s, int p) {
    return new LayerSpec(n, true, in, out, k, k, s, s, p, p);
  }

  /**
   * Channels of a layer at width {@code w}: the network's own input (5 shots) and output (1 map)
   * stay fixed, every other count is {@code max(1, round(c·w))}.
   */
  public static int channels(int fullWidthChannels, double w, boolean fixed) {
    return fixed ? fullWidthChannels : Math.max(1, (int) Math.round(fullWidthChannels * w));
  }

  /**
   * Builds the model. Deterministic: the same config gives the same bytes, and configs that differ
   * only in opset or crop style give the same weights.
   *
   * <p>Every op emitted means the same at opsets 11 to 17: Abs, Log, Sign, Tanh, Add and Mul only
   * widened their types; Conv and ConvTranspose are unchanged since 11; LeakyRelu (16) only
   * added bfloat16; Slice reads starts/ends/axes as inputs since 10; Pad reads pads as an input
   * since 11; BatchNormalization gets only epsilon and momentum, never {@code training_mode}
   * (14), so it is the inference form throughout; Constant uses the {@code value} attribute.
   */
  public static ModelProto build(InversionNetConfig config) {
    Normalization norm = config.normalization();
    GraphBuilder g = new GraphBuilder("InversionNet");
    g.input(floatValue(INPUT, -1, SHOTS, TIME_SAMPLES, RECEIVERS));
    g.output(floatValue(OUTPUT, -1, 1, MAP_SIZE, MAP_SIZE));

    // Pre-processing: sign(x)·log1p(|x|), then the affine min-max map to [-1, 1].
    String one = g.scalar("pre.one", 1f);
    String abs = g.node("Abs", "pre/abs", new String[] {INPUT});
    String log1p = g.node("Log", "pre/log1p", new String[] {g.node("Add", "pre/abs_plus_one", new String[] {abs, one})});
    String sign = g.node("Sign", "pre/sign", new String[] {INPUT});
    String signedLog = g.node("Mul", "pre/signed_log", new String[] {sign, log1p});
    String scaled = g.node("Mul", "pre/scale",
        new String[] {signedLog, g.scalar("pre.scale", (float) norm.seismicScale())});
    String x = g.node("Add", "pre/shift", CORE_INPUT,
        new String[] {scaled, g.scalar("pre.shift", (float) norm.seismicShift())});

    SplittableRandom random = new SplittableRandom(config.seed());
    for (int i = 0; i < LAYERS.size(); i++) {
      LayerSpec l = LAYERS.get(i);
      boolean last = i == LAYERS.size() - 1;
      int cin = channels(l.inChannels(), config.width(), i == 0);
      int cout = channels(l.outChannels(), config.width(), last);
      x = block(g, random, l, cin, cout, x, last);
      if (l.name().equals(CROP_AFTER)) {
        x = crop(g, config.crop(), x);
      }
    }

    // Post-processing: back to m/s.
    String v = g.node("Mul", "post/scale", new String[] {x, g.scalar("post.scale", (float) norm.velocityScaleMps())});
    g.node("Add", "post/shift", OUTPUT, new String[] {v, g.scalar("post.shift", (float) norm.velocityOffsetMps())});

    ModelProto.Builder m = ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(config.opset()))
        .setProducerName("fwi-cloud-pruner")
        .setProducerVersion("0.1.0")
        .setModelVersion(config.version())
        .setDocString("InversionNet (OpenFWI): raw shot gathers [N, 5, 1000, 70] in, velocity [N, 1, 70, 70] in m/s out.")
        .setGraph(g.build());
    metadata(config).forEach((k, val) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(val)));
    return m.build();
  }

  private static Map<String, String> metadata(InversionNetConfig c) {
    Map<String, String> md = new LinkedHashMap<>();
    md.put(ModelMetadata.NAME, "InversionNet");
    md.put(ModelMetadata.VERSION, Long.toString(c.version()));
    md.put(ModelMetadata.WIDTH, String.format(Locale.ROOT, "%s", c.width()));
    md.put(ModelMetadata.SEED, Long.toString(c.seed()));
    md.put(ModelMetadata.PARENT_SHA256, ModelMetadata.NO_PARENT);
    md.put(ModelMetadata.CORE_INPUT, CORE_INPUT);
    md.put(ModelMetadata.CORE_OUTPUT, CORE_OUTPUT);
    md.put(ModelMetadata.SEISMIC_RAW_MIN, Double.toString(c.normalization().seismicRawMin()));
    md.put(ModelMetadata.SEISMIC_RAW_MAX, Double.toString(c.normalization().seismicRawMax()));
    md.put(ModelMetadata.VELOCITY_SCALE_MPS, Double.toString(c.normalization().velocityScaleMps()));
    md.put(ModelMetadata.VELOCITY_OFFSET_MPS, Double.toString(c.normalization().velocityOffsetMps()));
    md.put(ModelMetadata.IO, "in: gathers [N, 5 shots, 1000 samples x 1 ms, 70 receivers] raw amplitude; "
        + "out: velocity [N, 1, 70 depth x 70 lateral cells of 10 m] m/s");
    return md;
  }

  /** Conv or ConvTranspose with bias, BatchNorm, then LeakyReLU(0.2) (Tanh for the last layer). */
  private static String block(GraphBuilder g, SplittableRandom r, LayerSpec l, int cin, int cout, String x, boolean last) {
    String n = l.name();
    int kh = l.kernelH();
    int kw = l.kernelW();
    // PyTorch's kaiming_uniform_(a=√5) and bias default both reduce to U(-1/√fan_in, 1/√fan_in);
    // for ConvTranspose2d, PyTorch takes fan_in from weight dim 1, which is C_out.
    int fanIn = (l.transposed() ? cout : cin) * kh * kw;
    double bound = 1.0 / Math.sqrt(fanIn);
    long[] wShape = l.transposed() ? new long[] {cin, cout, kh, kw} : new long[] {cout, cin, kh, kw};
    String w = g.floats(n + ".weight", uniform(r, cin * cout * kh * kw, bound), wShape);
    String b = g.floats(n + ".bias", uniform(r, cout, bound), cout);
    String y = g.node(l.transposed() ? "ConvTranspose" : "Conv", n, new String[] {x, w, b},
        ints("kernel_shape", kh, kw), ints("strides", l.strideH(), l.strideW()),
        ints("pads", l.padH(), l.padW(), l.padH(), l.padW()), ints("dilations", 1, 1));
    String bn = g.node("BatchNormalization", n + "/bn", new String[] {y,
        g.floats(n + ".bn.weight", filled(cout, 1f), cout), g.floats(n + ".bn.bias", filled(cout, 0f), cout),
        g.floats(n + ".bn.running_mean", filled(cout, 0f), cout), g.floats(n + ".bn.running_var", filled(cout, 1f), cout)},
        floatAttr("epsilon", BN_EPSILON), floatAttr("momentum", BN_MOMENTUM));
    return last ? g.node("Tanh", n + "/act", CORE_OUTPUT, new String[] {bn})
        : g.node("LeakyRelu", n + "/act", new String[] {bn}, floatAttr("alpha", LEAKY_SLOPE));
  }

  private static String crop(GraphBuilder g, InversionNetConfig.CropStyle style, String x) {
    return switch (style) {
      case SLICE -> g.node("Slice", "crop", new String[] {x, g.longs("crop.starts", CROP, CROP),
          g.longs("crop.ends", -CROP, -CROP), g.longs("crop.axes", 2, 3)});
      case PAD -> g.node("Pad", "crop", new String[] {x, g.longs("crop.pads", CROP_PADS)},
          stringAttr("mode", "constant"));
      case PAD_CONSTANT_NODE -> g.node("Pad", "crop",
          new String[] {x, g.constantLongs("crop/pads", "crop.pads", CROP_PADS)}, stringAttr("mode", "constant"));
    };
  }

  private static float[] uniform(SplittableRandom r, int n, double bound) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
    }
    return v;
  }

  private static float[] filled(int n, float value) {
    float[] v = new float[n];
    java.util.Arrays.fill(v, value);
    return v;
  }
}
