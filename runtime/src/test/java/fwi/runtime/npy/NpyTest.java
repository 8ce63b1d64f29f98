package fwi.runtime.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir
  Path dir;

  /** A .npy file assembled by hand, as numpy lays it out, so the reader is not only tested against the writer. */
  static byte[] handMade(int major, String descr, String shape, double[] values, boolean fortran) {
    String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (" + shape
        + "), }";
    int prefix = major == 1 ? 10 : 12;
    int total = prefix + dict.length() + 1;
    String header = dict + " ".repeat((64 - total % 64) % 64) + "\n";
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
    if (major == 1) {
      len.putShort((short) header.length());
    } else {
      len.putInt(header.length());
    }
    b.writeBytes(len.array());
    b.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
    ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    int width = descr.endsWith("8") ? 8 : 4;
    ByteBuffer data = ByteBuffer.allocate(values.length * width).order(order);
    for (double v : values) {
      if (width == 8) {
        data.putDouble(v);
      } else {
        data.putFloat((float) v);
      }
    }
    b.writeBytes(data.array());
    return b.toByteArray();
  }

  private static FloatTensor read(byte[] bytes) throws IOException {
    return Npy.read(new ByteArrayInputStream(bytes), "test.npy");
  }

  @Test
  void roundTripsAFloatTensorThroughAFile() throws Exception {
    float[] v = new float[2 * 3 * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = i * 0.5f - 3;
    }
    Path f = dir.resolve("a.npy");
    Npy.write(f, new FloatTensor(Shape.of(2, 3, 4), v));
    FloatTensor back = Npy.read(f);
    assertEquals(Shape.of(2, 3, 4), back.shape());
    assertArrayEquals(v, back.data());
    assertEquals(0, (Files.size(f) - v.length * 4) % 64, "version 1.0 header padded to a multiple of 64 bytes");
  }

  @Test
  void readsBigEndianFloat64VersionTwo() throws Exception {
    FloatTensor t = read(handMade(2, ">f8", "2, 2", new double[] {1.5, -2.25, 3e5, 0}, false));
    assertEquals(Shape.of(2, 2), t.shape());
    assertArrayEquals(new float[] {1.5f, -2.25f, 3e5f, 0f}, t.data());
  }

  @Test
  void readsLittleEndianFloat32VersionThreeWithOneDimensionalShape() throws Exception {
    FloatTensor t = read(handMade(3, "<f4", "3,", new double[] {1, 2, 3}, false));
    assertEquals(Shape.of(3), t.shape());
    assertArrayEquals(new float[] {1, 2, 3}, t.data());
  }

  @Test
  void refusesIntegerArraysNamingTheType() {
    NpyFormatException e = assertThrows(NpyFormatException.class,
        () -> read(handMade(1, "<i8", "2,", new double[] {1, 2}, false)));
    assertEquals("test.npy: element type must be float32 or float64 (<f4, >f4, <f8, >f8), but was '<i8'", e.getMessage());
  }

  @Test
  void refusesFortranOrder() {
    NpyFormatException e = assertThrows(NpyFormatException.class,
        () -> read(handMade(1, "<f4", "2, 2", new double[] {1, 2, 3, 4}, true)));
    assertEquals("test.npy: Fortran-order arrays are not supported (fortran_order: True)", e.getMessage());
  }

  @Test
  void refusesTruncatedDataNamingExpectedSize() {
    byte[] ok = handMade(1, "<f4", "2, 2", new double[] {1, 2, 3, 4}, false);
    byte[] cut = java.util.Arrays.copyOf(ok, ok.length - 3);
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> read(cut));
    assertEquals("test.npy: data ends after 13 of 16 bytes expected for shape [2, 2] <f4", e.getMessage());
  }

  @Test
  void refusesTrailingBytesInAFile() throws Exception {
    byte[] ok = handMade(1, "<f4", "2,", new double[] {1, 2}, false);
    Path f = dir.resolve("long.npy");
    Files.write(f, java.util.Arrays.copyOf(ok, ok.length + 4));
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
    assertEquals(f + ": trailing bytes after the [2] array", e.getMessage());
  }

  @Test
  void refusesFilesWithoutTheMagicString() {
    NpyFormatException e = assertThrows(NpyFormatException.class,
        () -> read("PK\u0003\u0004 this is a zip".getBytes(StandardCharsets.ISO_8859_1)));
    assertEquals("test.npy: not a .npy file (magic string \\x93NUMPY missing)", e.getMessage());
  }

  @Test
  void refusesUnknownFormatVersion() {
    byte[] b = handMade(1, "<f4", "1,", new double[] {1}, false);
    b[6] = 9;
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> read(b));
    assertEquals("test.npy: unsupported .npy format version 9.0 (supported: 1.0, 2.0, 3.0)", e.getMessage());
  }

  @Test
  void refusesZeroSizedDimensions() {
    NpyFormatException e = assertThrows(NpyFormatException.class,
        () -> read(handMade(1, "<f4", "0, 70", new double[0], false)));
    assertEquals("test.npy: shape dimension 0 must be in [1, 2147483647], but was 0 in [0, 70]", e.getMessage());
  }
}
