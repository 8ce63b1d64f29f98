package fwi.cloud.model;

/**
 * How to build an InversionNet.
 *
 * @param width channel multiplier: 1.0 is the published network, smaller values give
 *     proportionally thinner layers for fast experiments; in (0, 2]
 * @param seed seed of the initial weights; the same seed gives the same bytes
 * @param version model version written into the graph; at least 1
 * @param crop how the 80x80 decoder output is cropped to 70x70
 * @param normalization pre/post-processing constants baked into the graph
 * @param opset default-domain opset written into {@code opset_import}; in [{@value #MIN_OPSET},
 *     {@value #MAX_OPSET}], every op the builder emits has the same meaning throughout that range
 */
public record InversionNetConfig(double width, long seed, long version, CropStyle crop, Normalization normalization,
    long opset) {
  /**
   * Lowest opset the builder writes: {@code Pad} takes its pads as an input from opset 11 on
   * (earlier it was an attribute), and {@code Slice} its bounds from opset 10 on.
   */
  public static final long MIN_OPSET = 11;
  /** Highest opset the builder writes; {@code Pad} gains an {@code axes} input at 18. */
  public static final long MAX_OPSET = 17;

  /** How the decoder crop is expressed; all are what {@code torch.onnx.export} produces for {@code F.pad}. */
  public enum CropStyle {
    /** {@code Slice} with starts 5 and ends -5 on H and W (default: every runtime supports it). */
    SLICE,
    /**
     * {@code Pad} with pads of -5 on each side from an int64 initializer, as OpenFWI's
     * {@code F.pad(x, [-5, -5, -5, -5])}.
     */
    PAD,
    /** The same {@code Pad}, but its pads come from a {@code Constant} node, as {@code torch.onnx.export} writes it. */
    PAD_CONSTANT_NODE
  }

  public InversionNetConfig {
    if (!(width > 0 && width <= 2.0)) {
      throw new IllegalArgumentException("width must be in (0, 2], but was " + width);
    }
    if (version < 1) {
      throw new IllegalArgumentException("version must be at least 1, but was " + version);
    }
    if (crop == null) {
      throw new IllegalArgumentException("crop style must be given, but was null");
    }
    if (normalization == null) {
      throw new IllegalArgumentException("normalization must be given, but was null");
    }
    if (opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new IllegalArgumentException("opset must be in [" + MIN_OPSET + ", " + MAX_OPSET + "], but was " + opset);
    }
  }

  /**
   * The published network: width 1.0, seed 0, version 1, Slice crop, FlatVel-A limits,
   * opset {@value InversionNet#OPSET}.
   */
  public static InversionNetConfig defaults() {
    return new InversionNetConfig(1.0, 0, 1, CropStyle.SLICE, Normalization.FLATVEL_A, InversionNet.OPSET);
  }

  public InversionNetConfig withWidth(double w) {
    return new InversionNetConfig(w, seed, version, crop, normalization, opset);
  }

  public InversionNetConfig withSeed(long s) {
    return new InversionNetConfig(width, s, version, crop, normalization, opset);
  }

  public InversionNetConfig withCrop(CropStyle c) {
    return new InversionNetConfig(width, seed, version, c, normalization, opset);
  }

  public InversionNetConfig withVersion(long v) {
    return new InversionNetConfig(width, seed, v, crop, normalization, opset);
  }

  public InversionNetConfig withOpset(long o) {
    return new InversionNetConfig(width, seed, version, crop, normalization, o);
  }
}
