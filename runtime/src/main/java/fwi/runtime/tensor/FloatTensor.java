package fwi.runtime.tensor;

/**
 * A dense float32 tensor in C order: a {@link Shape} and exactly {@code shape.elementCount()}
 * values. The value array is owned by the tensor; {@link #data()} exposes it without a copy for
 * speed, so callers must treat it as read-only unless they created the tensor.
 */
public final class FloatTensor {
  private final Shape shape;
  private final float[] data;

  /**
   * @throws IllegalArgumentException if the number of values does not match the shape
   */
  public FloatTensor(Shape shape, float[] data) {
    if (data.length != shape.elementCount()) {
      throw new IllegalArgumentException(
          "tensor of shape " + shape + " needs " + shape.elementCount() + " values, but got " + data.length);
    }
    this.shape = shape;
    this.data = data;
  }

  /** A zero-filled tensor. */
  public static FloatTensor zeros(Shape shape) {
    return new FloatTensor(shape, new float[shape.elementCount()]);
  }

  public Shape shape() {
    return shape;
  }

  /** The values in C order, not copied. */
  public float[] data() {
    return data;
  }

  /** Sample {@code i} along the outermost dimension, copied. */
  public FloatTensor slice(int i) {
    int n = shape.dim(0);
    if (i < 0 || i >= n) {
      throw new IndexOutOfBoundsException("sample index must be in [0, " + n + "), but was " + i);
    }
    int per = shape.elementCount() / n;
    float[] out = new float[per];
    System.arraycopy(data, i * per, out, 0, per);
    return new FloatTensor(shape.withBatch(1), out);
  }

  /**
   * The index and value of the first NaN or infinite value, if any.
   *
   * @return {@code -1} when every value is finite
   */
  public int firstNonFinite() {
    for (int i = 0; i < data.length; i++) {
      if (!Float.isFinite(data[i])) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return "FloatTensor" + shape;
  }
}
