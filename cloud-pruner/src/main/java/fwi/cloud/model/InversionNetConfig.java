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
 */
public record InversionNetConfig(double width, long seed, long version, CropStyle crop, Normalization normalization) {

  /** How the decoder crop is expressed; both are what {@code torch.onnx.export} produces for {@code F.pad}. */
  public enum CropStyle {
    /** {@code Slice} with starts 5 and ends -5 on H and W (default: every runtime supports it). */
    SLICE,
    /** {@code Pad} with pads of -5 on each side, as OpenFWI's {@code F.pad(x, [-5, -5, -5, -5])}. */
    PAD
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
  }

  /** The published network: width 1.0, seed 0, version 1, Slice crop, FlatVel-A limits. */
  public static InversionNetConfig defaults() {
    return new InversionNetConfig(1.0, 0, 1, CropStyle.SLICE, Normalization.FLATVEL_A);
  }

  public InversionNetConfig withWidth(double w) {
    return new InversionNetConfig(w, seed, version, crop, normalization);
  }

  public InversionNetConfig withSeed(long s) {
    return new InversionNetConfig(width, s, version, crop, normalization);
  }

  public InversionNetConfig withCrop(CropStyle c) {
    return new InversionNetConfig(width, seed, version, c, normalization);
  }

  public InversionNetConfig withVersion(long v) {
    return new InversionNetConfig(width, seed, v, crop, normalization);
  }
}
