package fwi.cloud.graph;

import java.util.Arrays;

/**
 * Size and cost of one layer: a Conv, ConvTranspose, Gemm or MatMul with weights, together with
 * the BatchNormalization that directly follows it (if any), or a stand-alone BatchNormalization.
 *
 * @param name node name
 * @param op ONNX op type of the weighted node
 * @param inChannels input channels (features for Gemm/MatMul)
 * @param outChannels output channels
 * @param kernel kernel size per spatial axis (empty for Gemm/MatMul/BatchNormalization)
 * @param stride stride per spatial axis (empty where there is none)
 * @param outputShape output shape of one sample, batch dimension dropped, e.g. {@code [32, 500, 70]}
 * @param params trainable values: weights, biases, BatchNorm scale and shift
 * @param buffers non-trainable values: BatchNorm running mean and variance
 * @param macs multiply-accumulates for one sample; ConvTranspose counts
 *     {@code C_in·C_out/group·k²·H_in·W_in}
 */
public record LayerStats(String name, String op, long inChannels, long outChannels, long[] kernel, long[] stride,
    long[] outputShape, long params, long buffers, long macs) {
  public LayerStats {
    kernel = kernel.clone();
    stride = stride.clone();
    outputShape = outputShape.clone();
    if (params < 0 || buffers < 0 || macs < 0) {
      throw new IllegalArgumentException("layer '" + name + "' counts must be non-negative, but were params "
          + params + ", buffers " + buffers + ", MACs " + macs);
    }
  }

  @Override
  public long[] kernel() {
    return kernel.clone();
  }

  @Override
  public long[] stride() {
    return stride.clone();
  }

  @Override
  public long[] outputShape() {
    return outputShape.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerStats l && name.equals(l.name) && op.equals(l.op) && inChannels == l.inChannels
        && outChannels == l.outChannels && Arrays.equals(kernel, l.kernel) && Arrays.equals(stride, l.stride)
        && Arrays.equals(outputShape, l.outputShape) && params == l.params && buffers == l.buffers && macs == l.macs;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Long.hashCode(macs);
  }

  @Override
  public String toString() {
    return name + "(" + op + " " + inChannels + "->" + outChannels + ", out " + Arrays.toString(outputShape)
        + ", params " + params + ", MACs " + macs + ")";
  }
}
