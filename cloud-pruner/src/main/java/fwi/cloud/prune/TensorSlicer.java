package fwi.cloud.prune;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;
import fwi.cloud.graph.OnnxGraph;
import fwi.cloud.model.InvalidModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Keeps chosen indices along some axes of a float32 initializer. Stateless. */
final class TensorSlicer {
  private TensorSlicer() {}

  /**
   * A copy of {@code t} holding only the indices in {@code keep[axis]} along each axis; a null entry
   * keeps the whole axis. Indices must be ascending. The result stores little-endian raw data.
   */
  static TensorProto slice(TensorProto t, int[][] keep) throws InvalidModelException {
    int rank = t.getDimsCount();
    long[] dims = new long[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = t.getDims(i);
    }
    byte[] src = rawBytes(t);
    int last = -1;
    long[] newDims = dims.clone();
    for (int a = 0; a < rank; a++) {
      if (keep[a] != null) {
        last = a;
        newDims[a] = keep[a].length;
      }
    }
    if (last < 0) {
      return t;
    }
    // Bytes of one contiguous block below the last sliced axis, and each axis's stride in bytes.
    long[] stride = new long[rank];
    long s = 4;
    for (int a = rank - 1; a >= 0; a--) {
      stride[a] = s;
      s *= dims[a];
    }
    int block = (int) stride[last];
    long count = 1;
    for (long d : newDims) {
      count *= d;
    }
    byte[] dst = new byte[(int) (count * 4)];
    int[][] idx = new int[last + 1][];
    for (int a = 0; a <= last; a++) {
      idx[a] = keep[a] != null ? keep[a] : range((int) dims[a]);
    }
    int[] pos = new int[last + 1];
    int out = 0;
    while (true) {
      long off = 0;
      for (int a = 0; a <= last; a++) {
        off += idx[a][pos[a]] * stride[a];
      }
      System.arraycopy(src, (int) off, dst, out, block);
      out += block;
      int a = last;
      while (a >= 0 && ++pos[a] == idx[a].length) {
        pos[a] = 0;
        a--;
      }
      if (a < 0) {
        break;
      }
    }
    TensorProto.Builder b = t.toBuilder().clearDims().clearFloatData().setRawData(UnsafeByteOperations.unsafeWrap(dst));
    for (long d : newDims) {
      b.addDims(d);
    }
    return b.build();
  }

  private static byte[] rawBytes(TensorProto t) throws InvalidModelException {
    if (!t.getRawData().isEmpty()) {
      long expected = 4 * OnnxGraph.elementCount(t);
      if (t.getRawData().size() != expected) {
        throw new InvalidModelException("tensor '" + t.getName() + "' holds " + t.getRawData().size()
            + " bytes, but its dims " + t.getDimsList() + " need " + expected);
      }
      return t.getRawData().toByteArray();
    }
    float[] v = OnnxGraph.floatValues(t);
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  private static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = i;
    }
    return r;
  }
}
