package fwi.runtime.npy;

import fwi.runtime.tensor.Shape;
import java.nio.ByteOrder;

/**
 * The parsed header of a {@code .npy} file: element type, byte order, shape and where the data
 * starts.
 *
 * @param bytesPerElement 4 for float32, 8 for float64
 * @param order byte order of the data
 * @param shape array shape, C order
 * @param dataOffset byte offset of the first element from the start of the file
 */
public record NpyHeader(int bytesPerElement, ByteOrder order, Shape shape, long dataOffset) {
  public NpyHeader {
    if (bytesPerElement != 4 && bytesPerElement != 8) {
      throw new IllegalArgumentException("bytes per element must be 4 or 8, but was " + bytesPerElement);
    }
    if (dataOffset < 10) {
      throw new IllegalArgumentException("data offset must be at least 10, but was " + dataOffset);
    }
  }

  /** Size of the data section in bytes. */
  public long dataBytes() {
    return (long) shape.elementCount() * bytesPerElement;
  }

  /** The numpy type string, for example {@code <f4}. */
  public String descr() {
    return (order == ByteOrder.LITTLE_ENDIAN ? "<" : ">") + "f" + bytesPerElement;
  }
}
