package fwi.runtime.ort;

import fwi.runtime.tensor.Shape;
import java.util.Arrays;

/**
 * A model input or output as the model declares it: name and dimensions, {@code -1} where a
 * dimension is free (the batch, usually).
 */
public record TensorSpec(String name, long[] dims) {
  public TensorSpec {
    dims = dims.clone();
  }

  @Override
  public long[] dims() {
    return dims.clone();
  }

  /** Whether {@code shape} fits this declaration (same rank, fixed dimensions equal). */
  public boolean accepts(Shape shape) {
    if (shape.rank() != dims.length) {
      return false;
    }
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] > 0 && dims[i] != shape.dim(i)) {
        return false;
      }
    }
    return true;
  }

  /** For example {@code [N, 5, 1000, 70]}. */
  public String describeDims() {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      s.append(i > 0 ? ", " : "").append(dims[i] > 0 ? Long.toString(dims[i]) : "N");
    }
    return s.append(']').toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && name.equals(t.name) && Arrays.equals(dims, t.dims);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return name + describeDims();
  }
}
