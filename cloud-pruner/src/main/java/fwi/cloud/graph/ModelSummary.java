package fwi.cloud.graph;

import java.util.List;

/**
 * Per-layer and total size and cost of a model, per sample.
 *
 * @param layers weighted layers in graph order
 * @param params trainable values in the layers (sum of {@link LayerStats#params()})
 * @param buffers non-trainable BatchNorm statistics
 * @param macs multiply-accumulates for one sample
 * @param opset default-domain opset of the model
 * @param inputShape per-sample input shape, e.g. {@code [5, 1000, 70]}
 * @param outputShape per-sample output shape, e.g. {@code [1, 70, 70]}
 */
public record ModelSummary(List<LayerStats> layers, long params, long buffers, long macs, long opset,
    long[] inputShape, long[] outputShape) {
  public ModelSummary {
    layers = List.copyOf(layers);
    inputShape = inputShape.clone();
    outputShape = outputShape.clone();
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return outputShape.clone();
  }

  /** Bytes of float32 storage for parameters and buffers. */
  public long weightBytes() {
    return 4 * (params + buffers);
  }
}
