package fwi.cloud.prune;

/** What a weight axis bound to a channel group does with those channels. */
public enum Role {
  /** Computes the channels: Conv weight axis 0, ConvTranspose weight axis 1, Gemm/MatMul output features. */
  PRODUCER,
  /** A per-channel filter of a depthwise convolution: computes and reads the same channel. */
  DEPTHWISE,
  /** Bias of a producing layer. */
  BIAS,
  /** BatchNormalization (or InstanceNormalization) scale γ. */
  NORM_SCALE,
  /** BatchNormalization shift β. */
  NORM_SHIFT,
  /** BatchNormalization running mean. */
  NORM_MEAN,
  /** BatchNormalization running variance. */
  NORM_VAR,
  /** Reads the channels: Conv weight axis 1, ConvTranspose weight axis 0, Gemm/MatMul input features. */
  READER,
  /** Another per-channel constant of an elementwise op (a PRelu slope, a per-channel Mul or Add). */
  PARAM
}
