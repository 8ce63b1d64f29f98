package fwi.cloud.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/** ONNX-style padding on libtorch: positive values pad with a constant, negative values crop. */
final class Padding {
  private Padding() {
  }

  /**
   * Pads or crops the last {@code n} axes of {@code x}.
   *
   * @param pads ONNX order {@code [b_1..b_n, e_1..e_n]} for the last {@code n = pads.length / 2} axes
   */
  static NDArray apply(NDArray x, long[] pads, float value) {
    int n = pads.length / 2;
    int rank = x.getShape().dimension();
    boolean crop = false;
    boolean grow = false;
    for (long p : pads) {
      crop |= p < 0;
      grow |= p > 0;
    }
    NDArray y = x;
    if (crop) {
      NDIndex index = new NDIndex();
      for (int a = 0; a < rank - n; a++) {
        index.addAllDim();
      }
      for (int i = 0; i < n; i++) {
        long size = x.getShape().get(rank - n + i);
        long from = Math.max(0, -pads[i]);
        long to = size - Math.max(0, -pads[i + n]);
        if (to <= from) {
          throw new IllegalArgumentException("pads " + java.util.Arrays.toString(pads) + " crop axis " + (rank - n + i)
              + " of size " + size + " to nothing");
        }
        index.addSliceDim(from, to);
      }
      y = y.get(index);
    }
    if (grow) {
      long[] p = new long[2 * n];
      for (int j = 0; j < n; j++) {
        p[2 * j] = Math.max(0, pads[n - 1 - j]);
        p[2 * j + 1] = Math.max(0, pads[2 * n - 1 - j]);
      }
      y = y.pad(new Shape(p), value);
    }
    return y;
  }
}
