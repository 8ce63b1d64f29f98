package fwi.runtime.segy;

import static fwi.runtime.segy.SegyTestFiles.gathers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegyWriterTest {
  @TempDir
  Path dir;

  @Test
  void writesRev1HeadersAtTheirStandardByteOffsets() throws Exception {
    Path file = dir.resolve("shots.sgy");
    new SegyWriter(SegyWriteOptions.openFwi(SegySampleFormat.IEEE_FLOAT)).write(gathers(5, 1000, 70), file);
    byte[] raw = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(raw);

    assertEquals(3600 + 350 * (240 + 4000), raw.length);
    assertEquals("C 1 SEG-Y REV1", new String(raw, 0, 14, Charset.forName("IBM037")));
    assertEquals(1000, b.getShort(3216));
    assertEquals(1000, b.getShort(3220));
    assertEquals(5, b.getShort(3224));
    assertEquals(0x0100, b.getShort(3500));
    assertEquals(1, b.getShort(3502));
    assertEquals(0, b.getShort(3504));

    int second = 3600 + 71 * 4240; // shot 2, receiver 2
    assertEquals(2, b.getInt(second + 8));
    assertEquals(2, b.getInt(second + 12));
    assertEquals(2, b.getInt(second + 16));
    assertEquals(-100, b.getShort(second + 70));
    assertEquals(17_000, b.getInt(second + 72));
    assertEquals(1_000, b.getInt(second + 80));
    assertEquals(1000, b.getShort(second + 114));
    assertEquals(1000, b.getShort(second + 116));
  }

  @Test
  void writesIbmFormatCodeAndIbmSamples() throws Exception {
    Path file = dir.resolve("ibm.sgy");
    float[] data = new float[5 * 2 * 70];
    data[0] = 100.0f;
    data[70] = -118.625f;
    new SegyWriter(SegyWriteOptions.openFwi(SegySampleFormat.IBM_FLOAT))
        .write(new FloatTensor(Shape.of(5, 2, 70), data), file);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));

    assertEquals(1, b.getShort(3224));
    assertEquals(0x42640000, b.getInt(3600 + 240));
    assertEquals(0xC276A000, b.getInt(3600 + 244));
  }

  @Test
  void rejectsGathersThatDoNotMatchThePositions() {
    SegyWriter writer = new SegyWriter(SegyWriteOptions.openFwi(SegySampleFormat.IEEE_FLOAT));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> writer.write(gathers(4, 10, 70), dir.resolve("x.sgy")));
    assertEquals("gathers must be shaped [5, samples <= 65535, 70] to match the source and receiver positions, "
        + "but was [4, 10, 70]", e.getMessage());
  }

  @Test
  void rejectsNonFiniteSamples() {
    float[] data = new float[5 * 2 * 70];
    data[3] = Float.POSITIVE_INFINITY;
    SegyWriter writer = new SegyWriter(SegyWriteOptions.openFwi(SegySampleFormat.IBM_FLOAT));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> writer.write(new FloatTensor(Shape.of(5, 2, 70), data), dir.resolve("x.sgy")));
    assertEquals("gathers must be finite to be written as SEG-Y, but value 3 was Infinity", e.getMessage());
  }

  @Test
  void rejectsCoordinateScalarOutsideTheStandardSet() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SegyWriteOptions(
        SegySampleFormat.IEEE_FLOAT, 1000, SegyTestFiles.metres(0), SegyTestFiles.metres(0), 7));
    assertEquals("coordinate scalar must be one of ±1, ±10, ±100, ±1000, ±10000, but was 7", e.getMessage());
  }

  @Test
  void rejectsPositionsFinerThanTheCoordinateUnit() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SegyWriteOptions(
        SegySampleFormat.IEEE_FLOAT, 1000, SegyTestFiles.metres(0.5), SegyTestFiles.metres(0), 1));
    assertEquals("source X 0 must be a finite whole multiple of the coordinate unit set by scalar 1 within the "
        + "4-byte range, but was 0.5 m", e.getMessage());
  }
}
