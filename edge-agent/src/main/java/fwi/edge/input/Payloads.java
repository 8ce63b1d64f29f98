package fwi.edge.input;

import fwi.edge.inference.InputRejectedException;
import fwi.edge.inference.InputRejectedException.Kind;
import fwi.runtime.npy.Npy;
import fwi.runtime.npy.NpyFormatException;
import fwi.runtime.npy.NpyHeader;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Decodes request bodies into tensors, refusing oversized ones before reading their data. */
final class Payloads {
  private Payloads() {
  }

  /** An {@code .npy} body (float32 or float64, either byte order). */
  static FloatTensor npy(InputStream body, String source, long maxBytes) throws InputRejectedException, IOException {
    byte[] head = body.readNBytes(4096);
    NpyHeader h;
    try {
      h = Npy.readHeader(new ByteArrayInputStream(head), source);
    } catch (NpyFormatException e) {
      throw new InputRejectedException(Kind.MALFORMED, e.getMessage());
    }
    long bytes = 4L * h.shape().elementCount();
    if (bytes > maxBytes) {
      throw new InputRejectedException(Kind.TOO_LARGE, source + ": shape " + h.shape() + " is " + bytes
          + " bytes of float32 data, more than fwi.inference.max-input-bytes = " + maxBytes);
    }
    try {
      InputStream all = new SequenceInputStream(new ByteArrayInputStream(head), body);
      FloatTensor t = Npy.read(all, source);
      if (all.read() != -1) {
        throw new InputRejectedException(Kind.MALFORMED, source + ": trailing bytes after the " + t.shape() + " array");
      }
      return t;
    } catch (NpyFormatException e) {
      throw new InputRejectedException(Kind.MALFORMED, e.getMessage());
    }
  }

  /**
   * Raw little-endian float32 with its shape given apart, e.g. {@code "1,5,1000,70"}.
   */
  static FloatTensor raw(InputStream body, String shapeHeader, String source, long maxBytes)
      throws InputRejectedException, IOException {
    if (shapeHeader == null || shapeHeader.isBlank()) {
      throw new InputRejectedException(Kind.MALFORMED, source + ": raw float32 needs the X-Shape header, e.g. "
          + "'X-Shape: 1,5,1000,70'");
    }
    Shape shape;
    try {
      String[] parts = shapeHeader.trim().replace("[", "").replace("]", "").split("\\s*[,x]\\s*");
      int[] dims = new int[parts.length];
      long n = 1;
      for (int i = 0; i < parts.length; i++) {
        dims[i] = Integer.parseInt(parts[i].trim());
        if (dims[i] < 1) {
          throw new NumberFormatException();
        }
        n *= dims[i];
        if (4 * n > maxBytes) {
          throw new InputRejectedException(Kind.TOO_LARGE, source + ": X-Shape '" + shapeHeader + "' is more than "
              + "fwi.inference.max-input-bytes = " + maxBytes + " bytes of float32 data");
        }
      }
      shape = Shape.of(dims);
    } catch (IllegalArgumentException e) { // NumberFormatException, or Shape refusing no dimensions at all
      throw new InputRejectedException(Kind.MALFORMED, source + ": X-Shape must be positive integers separated by "
          + "commas, e.g. '1,5,1000,70', but was '" + shapeHeader + "'");
    }
    int expected = 4 * shape.elementCount();
    byte[] data = body.readNBytes(expected + 1);
    if (data.length != expected) {
      throw new InputRejectedException(Kind.MALFORMED, source + ": X-Shape " + shape + " needs " + expected
          + " bytes of float32, but the body has " + (data.length > expected ? "more" : Integer.toString(data.length)));
    }
    float[] v = new float[shape.elementCount()];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return new FloatTensor(shape, v);
  }
}
