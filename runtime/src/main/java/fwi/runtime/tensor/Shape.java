package fwi.runtime.tensor;

import java.util.Arrays;

/**
 * The dimensions of a dense tensor, outermost first (C order). Immutable.
 *
 * <p>Invariants: rank at least 1, every dimension at least 1, and the element count fits in an
 * {@code int} so the tensor can live in one Java array.
 */
public final class Shape {
  private final int[] dims;

  private Shape(int[] dims) {
    if (dims.length == 0) {
      throw new IllegalArgumentException("shape must have at least one dimension, but was []");
    }
    long count = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 1) {
        throw new IllegalArgumentException(
            "shape dimension " + i + " must be at least 1, but was " + dims[i] + " in " + Arrays.toString(dims));
      }
      count *= dims[i];
      if (count > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(dims) + " has more than " + (Integer.MAX_VALUE - 8) + " elements");
      }
    }
    this.dims = dims;
  }

  /** A shape with the given dimensions; the array is copied. */
  public static Shape of(int... dims) {
    return new Shape(dims.clone());
  }

  /** A shape from {@code long} dimensions (as ONNX Runtime reports them). */
  public static Shape of(long... dims) {
    int[] d = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 1 || dims[i] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "shape dimension " + i + " must be in [1, " + Integer.MAX_VALUE + "], but was " + dims[i]
                + " in " + Arrays.toString(dims));
      }
      d[i] = (int) dims[i];
    }
    return new Shape(d);
  }

  public int rank() {
    return dims.length;
  }

  /** Dimension {@code i}, outermost first. */
  public int dim(int i) {
    return dims[i];
  }

  /** A copy of the dimensions. */
  public int[] dims() {
    return dims.clone();
  }

  /** The dimensions as {@code long}s, as ONNX Runtime wants them. */
  public long[] toLongArray() {
    long[] l = new long[dims.length];
    for (int i = 0; i < dims.length; i++) {
      l[i] = dims[i];
    }
    return l;
  }

  /** Number of elements: the product of the dimensions. */
  public int elementCount() {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    return n;
  }

  /** The same shape with the outermost (batch) dimension replaced by {@code n}. */
  public Shape withBatch(int n) {
    int[] d = dims.clone();
    d[0] = n;
    return new Shape(d);
  }

  /** The shape without its outermost dimension; a rank-1 shape yields {@code [1]}. */
  public Shape dropFirst() {
    return dims.length == 1 ? Shape.of(1) : new Shape(Arrays.copyOfRange(dims, 1, dims.length));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** For example {@code [1, 5, 1000, 70]}. */
  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
